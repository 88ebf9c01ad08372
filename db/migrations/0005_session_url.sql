ALTER TABLE `authorisations` ADD `authorisation_url_enc` text;--> statement-breakpoint
ALTER TABLE `connections` ADD `psu_ip_address` text;