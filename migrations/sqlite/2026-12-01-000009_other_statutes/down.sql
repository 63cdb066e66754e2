DROP TABLE other_statute_elements;
DROP TABLE other_statutes;
