// Every test run compiles into a fresh cache directory, so results never come from an earlier run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

if (!process.env['KT_TEST_KEEP_CACHE']) process.env['KT_CACHE_DIR'] = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-test-cache-'));
