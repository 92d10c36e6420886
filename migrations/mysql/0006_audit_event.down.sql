DROP TABLE {{prefix}}audit_event;
