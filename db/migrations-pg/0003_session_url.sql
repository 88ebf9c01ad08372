ALTER TABLE "authorisations" ADD COLUMN "authorisation_url_enc" text;--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "psu_ip_address" text;