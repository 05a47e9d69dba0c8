CREATE TABLE "project_versions" (
	"project_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"kind" text NOT NULL,
	"label" text NOT NULL,
	"round" integer,
	"phase_index" integer,
	"restored_from" integer,
	"tree_hash" text NOT NULL,
	"changes" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "project_versions_project_id_seq_pk" PRIMARY KEY("project_id","seq"),
	CONSTRAINT "project_versions_kind_valid" CHECK ("project_versions"."kind" in ('phase','edit','restore','checkpoint'))
);
--> statement-breakpoint
CREATE TABLE "version_tree_files" (
	"project_id" uuid NOT NULL,
	"tree_hash" text NOT NULL,
	"path" text NOT NULL,
	"hash" text NOT NULL,
	"size" integer NOT NULL,
	CONSTRAINT "version_tree_files_project_id_tree_hash_path_pk" PRIMARY KEY("project_id","tree_hash","path")
);
--> statement-breakpoint
CREATE TABLE "version_trees" (
	"project_id" uuid NOT NULL,
	"tree_hash" text NOT NULL,
	"file_count" integer NOT NULL,
	"total_bytes" bigint NOT NULL,
	CONSTRAINT "version_trees_project_id_tree_hash_pk" PRIMARY KEY("project_id","tree_hash")
);
--> statement-breakpoint
ALTER TABLE "project_versions" ADD CONSTRAINT "project_versions_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "project_versions" ADD CONSTRAINT "project_versions_tree_fk" FOREIGN KEY ("project_id","tree_hash") REFERENCES "public"."version_trees"("project_id","tree_hash") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "version_tree_files" ADD CONSTRAINT "version_tree_files_tree_fk" FOREIGN KEY ("project_id","tree_hash") REFERENCES "public"."version_trees"("project_id","tree_hash") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "version_trees" ADD CONSTRAINT "version_trees_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;