-- The send functions kept only for pods of earlier versions during their rolling updates are dropped:
-- V4's send_message() with its inbox_append_message(), and V5's send_messages() (a wrapper around
-- send_message_batch() since V7). Since V7 chat-service calls send_message_batch() alone, so the pods
-- of the previous version (V7's and V8's) never call them; one way to write a send is left.
DROP FUNCTION send_messages(uuid[], varchar[], varchar[], varchar[], uuid[], varchar[], varchar[], text[], varchar[],
                            varchar[], varchar[], varchar[], boolean[], interval, interval);
DROP FUNCTION send_message(uuid, varchar, varchar, varchar, uuid, varchar, varchar, text, varchar, varchar, varchar,
                           varchar, boolean, interval, interval);
DROP FUNCTION inbox_append_message(varchar, uuid, timestamptz);
