/** POST /api/votes at `base` (nginx or the api itself) with a proof the caller chose. */
export const postVote = (base: string, candidateId: string, altcha: string): Promise<Response> =>
  fetch(`${base}/api/votes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ candidateId, altcha }) });
