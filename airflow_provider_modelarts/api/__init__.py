"""The ModelArts / IAM / RES API: ids, status tables, errors, models, requests and the HTTP session."""
