DROP TABLE exhibit_verifications;
