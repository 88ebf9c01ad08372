CREATE TABLE `pings` (
	`id` text PRIMARY KEY NOT NULL,
	`message` text NOT NULL,
	`workflow_id` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
