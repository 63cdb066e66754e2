DROP TABLE memo_approvals;
DROP TABLE memo_versions;
