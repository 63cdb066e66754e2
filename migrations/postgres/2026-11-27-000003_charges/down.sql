DROP TABLE mapping_reviews;
DROP TABLE mappings;
DROP TABLE charges;
DROP TABLE exhibit_tags;
