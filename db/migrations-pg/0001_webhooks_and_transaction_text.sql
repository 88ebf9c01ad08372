CREATE TABLE "webhook_deliveries" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"event_id" text COLLATE "C" NOT NULL,
	"endpoint_id" text COLLATE "C" NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"redeliveries" integer DEFAULT 0 NOT NULL,
	"last_status_code" integer,
	"last_error" text,
	"last_attempt_at" bigint,
	"next_attempt_at" bigint,
	"created_at" bigint DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint NOT NULL,
	"updated_at" bigint DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_endpoints" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"url" text NOT NULL,
	"description" text,
	"events" jsonb,
	"customer_ids" jsonb,
	"key_id" text NOT NULL,
	"secret_enc" text NOT NULL,
	"previous_key_id" text,
	"previous_secret_enc" text,
	"previous_expires_at" bigint,
	"status" text DEFAULT 'enabled' NOT NULL,
	"disabled_reason" text,
	"deleted_at" bigint,
	"created_at" bigint DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint NOT NULL,
	"updated_at" bigint DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_events" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"customer_id" text NOT NULL,
	"subject_id" text NOT NULL,
	"payload" text NOT NULL,
	"created_at" bigint NOT NULL,
	"dispatched_at" bigint
);
--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "additional_information" text;--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "description" text;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_event_id_webhook_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."webhook_events"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_endpoint_id_webhook_endpoints_id_fk" FOREIGN KEY ("endpoint_id") REFERENCES "public"."webhook_endpoints"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_deliveries_event_endpoint" ON "webhook_deliveries" USING btree ("event_id","endpoint_id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_endpoint" ON "webhook_deliveries" USING btree ("endpoint_id","created_at");--> statement-breakpoint
CREATE INDEX "webhook_endpoints_status" ON "webhook_endpoints" USING btree ("status");--> statement-breakpoint
CREATE INDEX "webhook_events_pending" ON "webhook_events" USING btree ("dispatched_at","created_at");--> statement-breakpoint
CREATE INDEX "webhook_events_subject" ON "webhook_events" USING btree ("subject_id");--> statement-breakpoint
-- Backfill as SQLite's 0003_transaction_text does: from what the bank sent (raw) and the profiles' rule (BEC's banks put the text in additionalInformation).
UPDATE "transactions" SET "additional_information" = "raw"->>'additionalInformation'
  WHERE jsonb_typeof("raw"->'additionalInformation') = 'string';--> statement-breakpoint
UPDATE "transactions" SET "description" = COALESCE(
  NULLIF(TRIM("remittance_information"), ''),
  CASE WHEN "account_id" IN (
    SELECT "accounts"."id" FROM "accounts" JOIN "connections" ON "connections"."id" = "accounts"."connection_id"
    WHERE "connections"."aspsp_id" = 'bec' OR "connections"."aspsp_id" LIKE 'bec-%'
  ) THEN NULLIF(TRIM("additional_information"), '') END
);
