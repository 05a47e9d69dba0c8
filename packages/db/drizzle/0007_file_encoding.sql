ALTER TABLE "file_blobs" ADD COLUMN "encoding" text DEFAULT 'utf8' NOT NULL;--> statement-breakpoint
ALTER TABLE "generated_files" ADD COLUMN "encoding" text DEFAULT 'utf8' NOT NULL;--> statement-breakpoint
ALTER TABLE "file_blobs" ADD CONSTRAINT "file_blobs_encoding_valid" CHECK ("file_blobs"."encoding" in ('utf8','base64'));--> statement-breakpoint
ALTER TABLE "generated_files" ADD CONSTRAINT "generated_files_encoding_valid" CHECK ("generated_files"."encoding" in ('utf8','base64'));