/** Input limits shared by the API (validation), the web app (form hints) and the agent. */
export const LIMITS = {
  promptChars: 20_000,
  messageChars: 20_000,
  projectNameChars: 100,
  fileBytes: 1024 * 1024,
  filesPerProject: 2_000,
  pathChars: 300,
} as const;
