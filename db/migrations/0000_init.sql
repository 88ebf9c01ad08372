CREATE TABLE `access_counters` (
	`consent_id` text NOT NULL,
	`endpoint` text NOT NULL,
	`day` text NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`consent_id`, `endpoint`, `day`)
);
--> statement-breakpoint
CREATE TABLE `accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`connection_id` text NOT NULL,
	`resource_id` text NOT NULL,
	`kind` text NOT NULL,
	`iban` text,
	`bban` text,
	`masked_pan` text,
	`currency` text NOT NULL,
	`name` text,
	`product` text,
	`owner_name` text,
	`cash_account_type` text,
	`status` text DEFAULT 'active' NOT NULL,
	`last_booked_date` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`connection_id`) REFERENCES `connections`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `accounts_connection` ON `accounts` (`connection_id`);--> statement-breakpoint
CREATE INDEX `accounts_resource` ON `accounts` (`connection_id`,`resource_id`);--> statement-breakpoint
CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`key_hash` text NOT NULL,
	`customer_ids` text,
	`scopes` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`revoked_at` integer,
	`last_used_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_hash` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE TABLE `authorisations` (
	`id` text PRIMARY KEY NOT NULL,
	`connection_id` text NOT NULL,
	`consent_id` text NOT NULL,
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
CREATE UNIQUE INDEX `authorisations_state` ON `authorisations` (`state_hash`);--> statement-breakpoint
CREATE TABLE `balance_history` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`account_id` text NOT NULL,
	`balance_type` text NOT NULL,
	`amount` text NOT NULL,
	`currency` text NOT NULL,
	`reference_date` text,
	`fetched_at` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `balance_history_account` ON `balance_history` (`account_id`,`fetched_at`);--> statement-breakpoint
CREATE TABLE `balances` (
	`account_id` text NOT NULL,
	`balance_type` text NOT NULL,
	`amount` text NOT NULL,
	`currency` text NOT NULL,
	`reference_date` text,
	`last_change_date_time` text,
	`credit_limit_included` integer,
	`fetched_at` integer NOT NULL,
	PRIMARY KEY(`account_id`, `balance_type`),
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `connections` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`aspsp_id` text NOT NULL,
	`status` text NOT NULL,
	`status_reason` text,
	`redirect_url` text NOT NULL,
	`current_consent_id` text,
	`requested_valid_until` text,
	`frequency_per_day` integer DEFAULT 4 NOT NULL,
	`access` text,
	`last_sync_at` integer,
	`next_sync_at` integer,
	`last_error` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `connections_customer` ON `connections` (`customer_id`);--> statement-breakpoint
CREATE TABLE `consent_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`connection_id` text NOT NULL,
	`consent_id` text,
	`event` text NOT NULL,
	`detail` text,
	`at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`connection_id`) REFERENCES `connections`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `consent_events_connection` ON `consent_events` (`connection_id`,`at`);--> statement-breakpoint
CREATE TABLE `consent_status_history` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`consent_id` text NOT NULL,
	`status` text NOT NULL,
	`at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`consent_id`) REFERENCES `consents`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `consents` (
	`id` text PRIMARY KEY NOT NULL,
	`connection_id` text NOT NULL,
	`bank_consent_id` text NOT NULL,
	`status` text NOT NULL,
	`valid_until` text NOT NULL,
	`frequency_per_day` integer NOT NULL,
	`recurring_indicator` integer NOT NULL,
	`authorised_at` integer,
	`ended_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`connection_id`) REFERENCES `connections`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `consents_bank_id` ON `consents` (`connection_id`,`bank_consent_id`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`api_key_id` text NOT NULL,
	`key` text NOT NULL,
	`request_hash` text NOT NULL,
	`status_code` integer,
	`response` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	PRIMARY KEY(`api_key_id`, `key`)
);
--> statement-breakpoint
CREATE TABLE `pings` (
	`id` text PRIMARY KEY NOT NULL,
	`message` text NOT NULL,
	`workflow_id` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sync_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`connection_id` text NOT NULL,
	`consent_id` text,
	`reason` text NOT NULL,
	`psu_present` integer NOT NULL,
	`started_at` integer NOT NULL,
	`ended_at` integer,
	`outcome` text,
	`accounts` integer DEFAULT 0 NOT NULL,
	`transactions_upserted` integer DEFAULT 0 NOT NULL,
	`transactions_removed` integer DEFAULT 0 NOT NULL,
	`bank_calls` integer DEFAULT 0 NOT NULL,
	`error` text,
	FOREIGN KEY (`connection_id`) REFERENCES `connections`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `sync_runs_connection` ON `sync_runs` (`connection_id`,`started_at`);--> statement-breakpoint
CREATE TABLE `tokens` (
	`connection_id` text PRIMARY KEY NOT NULL,
	`consent_id` text NOT NULL,
	`key_id` text NOT NULL,
	`access_token_enc` text NOT NULL,
	`refresh_token_enc` text,
	`expires_at` integer NOT NULL,
	`refresh_expires_at` integer,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`connection_id`) REFERENCES `connections`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `transactions` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`bank_transaction_id` text,
	`fingerprint` text NOT NULL,
	`booking_status` text NOT NULL,
	`booking_date` text,
	`value_date` text,
	`transaction_date` text,
	`date` text NOT NULL,
	`amount` text NOT NULL,
	`currency` text NOT NULL,
	`creditor_name` text,
	`debtor_name` text,
	`remittance_information` text,
	`entry_reference` text,
	`raw` text,
	`first_seen_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `transactions_bank_id` ON `transactions` (`account_id`,`bank_transaction_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `transactions_fingerprint` ON `transactions` (`account_id`,`fingerprint`);--> statement-breakpoint
CREATE INDEX `transactions_account_date` ON `transactions` (`account_id`,`date`,`id`);