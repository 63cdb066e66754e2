DROP TABLE charge_defendants;
DROP TABLE people;
