-- Typing indicators are rate-limited and not kept (issue 4 §2, §3; DESIGN.md: "typing indicators (ephemeral, with
-- timeout)"). Until now every PUT .../typing and SetTyping appended an inbox event, however often a client called,
-- and the events stayed in the inboxes for ever. Now each side's last announced expiry is on the conversation row
-- (ConversationService#typing writes a repeat only once less than two thirds of it is left), and TypingSweep deletes
-- typing events older than chat.typing-kept (its index: V13). A deleted event leaves a hole in its inbox's positions:
-- readers read "position > after", and a stream that was told of a deleted event does not look for it again
-- (InboxFeed). Adding nullable columns without a default changes no row.
ALTER TABLE conversations ADD COLUMN person_typing_until timestamptz,
                          ADD COLUMN business_typing_until timestamptz,
-- A blocked business no longer learns what the person reads (no read receipts, and its view of the conversation
-- keeps the watermark the person had when blocking).
                          ADD COLUMN read_seq_at_block bigint;
UPDATE conversations SET read_seq_at_block = person_read_seq WHERE blocked;

