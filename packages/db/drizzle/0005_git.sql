CREATE TABLE "project_git_remotes" (
	"project_id" uuid PRIMARY KEY NOT NULL,
	"url" text NOT NULL,
	"last_pushed_at" timestamp with time zone,
	"last_pushed_commit" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "user_git_credentials" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"kind" text NOT NULL,
	"username" text,
	"public_key" text,
	"fingerprint" text,
	"last4" text,
	"ciphertext" text NOT NULL,
	"iv" text NOT NULL,
	"tag" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "user_git_credentials_user_kind" UNIQUE("user_id","kind"),
	CONSTRAINT "git_kind_valid" CHECK ("user_git_credentials"."kind" in ('https','ssh'))
);
--> statement-breakpoint
ALTER TABLE "project_git_remotes" ADD CONSTRAINT "project_git_remotes_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_git_credentials" ADD CONSTRAINT "user_git_credentials_user_id_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."user"("id") ON DELETE cascade ON UPDATE no action;