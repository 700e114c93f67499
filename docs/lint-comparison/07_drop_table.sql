DROP TABLE old_users;
