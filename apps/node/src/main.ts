#!/usr/bin/env node
/** Entry point of the raftkit server. */
import { runDemo } from './demo.js';

const result = await runDemo({ tickMs: 50, log: (line) => console.log(line) });
console.log(`leader ${result.leader} (term ${result.term}) committed ${result.committed.length} entries on all three members`);
