// The vote page's first script, loaded `async` ahead of its main one (vite.config.ts puts it in the
// page's <head>): it starts the anti-bot check's workers and its first challenge while the page is
// still being parsed and its main script fetched and run, which on a slow phone is most of a second.
// A page that carries the next challenge (a repeat vote, vote.ts) solves that one instead: nothing
// to fetch, and the workers start with the check.
import { startEarly } from './antibot.ts';
import { NEXT_CHALLENGE, usableChallenge } from './challenge-store.ts';

let carried = false;
try {
  const stored = sessionStorage.getItem(NEXT_CHALLENGE);
  carried = stored !== null && usableChallenge(JSON.parse(stored));
} catch {
  // storage off or unreadable: the page fetches one
}
if (!carried) startEarly();
