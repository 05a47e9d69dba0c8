import { CHECKS } from './checks';
import type { EvalCase } from './harness';

/** Natural prompts for live mode: the model writes the app, the tolerant checks judge it. */
export const LIVE_CASES: EvalCase[] = [
  ['todo-list', 'Build a todo list where I can add tasks and tick them off.', CHECKS.todo],
  ['kanban-board', 'A kanban board with To do, Doing and Done columns; I can add cards and move them between columns.', CHECKS.kanban],
  ['markdown-notes', 'A markdown notes app: write a note with a title and a markdown body and see it rendered in a list.', CHECKS.notes],
  [
    'expense-tracker',
    'An expense tracker: add expenses with a description, an amount and a category, see the total and a chart by category.',
    CHECKS.expenses,
  ],
  ['dashboard', 'A sales dashboard with mock data: a few KPI cards, a chart and a table of recent orders.', CHECKS.dashboard],
  ['quiz', 'A multiple-choice quiz about general knowledge that shows the score as I answer.', CHECKS.quiz],
  ['pomodoro', 'A pomodoro timer with start, pause and reset.', CHECKS.timer],
  ['calculator', 'A calculator with the four basic operations.', CHECKS.calculator],
  ['chat-ui', 'A chat UI where I type messages and a bot replies.', CHECKS.chat],
  ['landing-page', 'A landing page for a note-taking startup with a hero, features, pricing and a call to action.', CHECKS.landing],
  ['image-gallery', 'An image gallery with a grid of photos; clicking one opens it larger.', CHECKS.gallery],
  ['habit-tracker', 'A habit tracker: add habits and mark them done for today.', CHECKS.habits],
  ['recipe-book', 'A recipe book where I can add recipes with ingredients and browse them.', CHECKS.recipes],
  ['budget-planner', 'A monthly budget planner: add income and expense lines with amounts and see what is left.', CHECKS.budget],
  ['tic-tac-toe', 'A tic-tac-toe game for two players that announces the winner.', CHECKS.tictactoe],
].map(([name, prompt, check]) => ({
  name: name as string,
  prompt: prompt as string,
  about: `Live prompt: "${prompt as string}"`,
  check: check as EvalCase['check'],
}));
