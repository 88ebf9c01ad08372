ALTER TABLE `transactions` ADD `additional_information` text;--> statement-breakpoint
ALTER TABLE `transactions` ADD `description` text;--> statement-breakpoint
-- Backfill from what the bank sent (raw) and the profiles' rule: BEC's banks put the text in additionalInformation.
UPDATE `transactions` SET `additional_information` = json_extract(`raw`, '$.additionalInformation')
  WHERE json_valid(`raw`) AND json_type(`raw`, '$.additionalInformation') = 'text';--> statement-breakpoint
UPDATE `transactions` SET `description` = COALESCE(
  NULLIF(TRIM(`remittance_information`), ''),
  CASE WHEN `account_id` IN (
    SELECT `accounts`.`id` FROM `accounts` JOIN `connections` ON `connections`.`id` = `accounts`.`connection_id`
    WHERE `connections`.`aspsp_id` = 'bec' OR `connections`.`aspsp_id` LIKE 'bec-%'
  ) THEN NULLIF(TRIM(`additional_information`), '') END
);
