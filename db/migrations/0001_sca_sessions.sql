-- Authorisations become SCA sessions for any subject: existing rows are connections' sessions.
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_authorisations` (
	`id` text PRIMARY KEY NOT NULL,
	`subject_type` text NOT NULL,
	`subject_id` text NOT NULL,
	`connection_id` text,
	`consent_id` text,
	`state_hash` text NOT NULL,
	`key_id` text NOT NULL,
	`code_verifier_enc` text,
	`code_enc` text,
	`outcome` text DEFAULT 'pending' NOT NULL,
	`error` text,
	`psu_ip_address` text,
	`expires_at` integer NOT NULL,
	`completed_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`connection_id`) REFERENCES `connections`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`consent_id`) REFERENCES `consents`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_authorisations`("id", "subject_type", "subject_id", "connection_id", "consent_id", "state_hash", "key_id", "code_verifier_enc", "code_enc", "outcome", "error", "psu_ip_address", "expires_at", "completed_at", "created_at") SELECT "id", 'connection', "connection_id", "connection_id", "consent_id", "state_hash", "key_id", "code_verifier_enc", "code_enc", "outcome", "error", "psu_ip_address", "expires_at", "completed_at", "created_at" FROM `authorisations`;--> statement-breakpoint
DROP TABLE `authorisations`;--> statement-breakpoint
ALTER TABLE `__new_authorisations` RENAME TO `authorisations`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `authorisations_state` ON `authorisations` (`state_hash`);--> statement-breakpoint
CREATE INDEX `authorisations_subject` ON `authorisations` (`subject_type`,`subject_id`);