// Imported first by main.ts: zod compiles fast parsers with `new Function`, which the webview's
// CSP (no 'unsafe-eval') forbids. jitless must be set before any schema is constructed.
import { z } from 'zod';

z.config({ jitless: true });
