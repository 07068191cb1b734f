/**
 * A pool of scripted GGUF models (real llama.cpp, known outputs) for extraction and answering:
 * three extractors that disagree in casing, spacing, overlap and one invented entity, and answer
 * models that write the same answers in different forms, or different answers.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PoolConfigInput } from '../../protocol/config';
import { writeScriptedModel } from '../fixtures/gguf/models';

export const EXTRACT_TEXT = 'Ada Lovelace worked with Charles Babbage in London.';
export const TYPES = ['person', 'location'];

const extractors: Record<string, string[]> = {
  x1: [
    '{"entities":[',
    '{"type":"person","text":"Ada Lovelace"}',
    ',{"type":"location","text":"London"}',
    ',{"type":"person","text":"Charles Babbage"}',
    ']}',
  ],
  x2: [
    '{"entities":[',
    '{"type":"person","text":"ADA LOVELACE"}',
    ',{"type":"person","text":"Babbage"}',
    ',{"type":"location","text":"London."}',
    ']}',
  ],
  x3: [
    '{"entities":[',
    '{"type":"person","text":"ada  lovelace"}',
    ',{"type":"person","text":"Charles  Babbage"}',
    ',{"type":"location","text":"Paris"}',
    ']}',
  ],
};

const answer = (text: string, confidence: number) => ['{"answer":"', text, '","confidence":', String(confidence), '}'];
const answerers: Record<string, string[]> = {
  q21words: answer('Twenty-one', 0.9),
  q21: answer('21', 0.6),
  q22: answer('22', 0.99),
  q19: answer('nineteen', 0.8),
  dLong: answer('5 March 2024', 0.7),
  dIso: answer('2024-03-05', 0.7),
  dUs: answer('March 5th, 2024', 0.7),
};

export function taskPoolConfig(dir: string): PoolConfigInput {
  fs.mkdirSync(path.join(dir, 'models'), { recursive: true });
  const models = Object.entries({ ...extractors, ...answerers }).map(([id, script]) => {
    const m = writeScriptedModel(path.join(dir, 'models', `${id}.gguf`), script);
    return { id, backend: 'llama.cpp' as const, path: m.path, threads: 1, contextSize: 256 };
  });
  return {
    models,
    ensembles: {
      extractors: { members: ['x1', 'x2', 'x3'], strategy: 'majority' },
      answers: { members: ['q21words', 'q21', 'q22'], strategy: 'majority' },
      split: { members: ['q21words', 'q22', 'q19'], strategy: 'majority' },
      // The same members, but one voice is enough: the tie goes to the earliest-listed member.
      anyVoice: { members: ['q21words', 'q22', 'q19'], strategy: 'majority', quorum: 0.3 },
      confident: { members: ['q21', 'q22'], strategy: 'weighted' },
      dates: { members: ['dLong', 'dIso', 'dUs'], strategy: 'earlyExit' },
    },
  };
}
