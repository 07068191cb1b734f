/**
 * The differences between panel answers, for the side-by-side view: each answer split into runs of
 * words, a run marked `unique` when none of the other answers holds that word (compared in lower
 * case, without punctuation). Linear in the total length: each answer's words go in one set.
 */
export interface DiffRun {
  text: string;
  unique: boolean;
}

const wordKey = (w: string) => w.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');

export function panelDiff(answers: readonly string[]): DiffRun[][] {
  const sets = answers.map((a) => new Set(a.split(/\s+/).map(wordKey).filter(Boolean)));
  return answers.map((answer, i) => {
    const runs: DiffRun[] = [];
    for (const piece of answer.split(/(\s+)/)) {
      if (!piece) continue;
      const key = wordKey(piece);
      // With one answer there is nothing to differ from. Spaces and bare punctuation are never marked.
      const unique = key !== '' && answers.length > 1 && !sets.some((s, j) => j !== i && s.has(key));
      const last = runs.at(-1);
      if (last && last.unique === unique) last.text += piece;
      else runs.push({ text: piece, unique });
    }
    return runs;
  });
}
