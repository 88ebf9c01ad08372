CREATE TABLE "bank_request_slots" (
	"bank_id" text PRIMARY KEY NOT NULL,
	"tat_us" bigint NOT NULL,
	"day" text NOT NULL,
	"day_count" integer NOT NULL,
	"last_slot_us" bigint
);
