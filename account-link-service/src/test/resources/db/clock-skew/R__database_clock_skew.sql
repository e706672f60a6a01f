-- Test only (DatabaseClockProfile): a database clock that can be moved away from the JVM's. PostgreSQL cannot move
-- its own, so the service's sessions find now() and clock_timestamp() in db_clock before pg_catalog (search_path),
-- and these add db_clock.skew to PostgreSQL's. Installed by Flyway, before the service reads its clock at all.
CREATE SCHEMA db_clock;
CREATE TABLE db_clock.skew (ahead interval NOT NULL);
INSERT INTO db_clock.skew VALUES (interval '0');
CREATE FUNCTION db_clock.now() RETURNS timestamptz LANGUAGE sql STABLE
    AS 'SELECT pg_catalog.now() + (SELECT ahead FROM db_clock.skew)';
CREATE FUNCTION db_clock.clock_timestamp() RETURNS timestamptz LANGUAGE sql VOLATILE
    AS 'SELECT pg_catalog.clock_timestamp() + (SELECT ahead FROM db_clock.skew)';
