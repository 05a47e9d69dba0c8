/**
 * `npm run eval`: the generation scoreboard. Offline (default) it runs the scripted corpus; with
 * LATHE_EVAL_BASE_URL, LATHE_EVAL_API_KEY and LATHE_EVAL_MODEL it runs the live prompts against
 * that model. Prints progress, writes the report, and prints one JSON line last.
 */
import { resolve } from 'node:path';
import { runEval } from './run';

const report = await runEval({
  env: process.env,
  reportDir: resolve(process.env.LATHE_EVAL_REPORT_DIR ?? 'eval-report'),
  log: (l) => console.error(l),
});
console.log(JSON.stringify(report.summary));
process.exit(0);
