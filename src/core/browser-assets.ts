import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The scripts and stylesheets of the browser pages (the chat page, the review dashboard). Their
 * sources are TypeScript and CSS files under a `browser/` folder beside the module that serves
 * them; esbuild bundles each into one file:
 *
 * - `npm run build` (so `npm start`, `npm pack` and the Docker image) writes them, minified, to
 *   `assets/` beside the compiled module in `dist/`, and the service serves those files;
 * - from the sources (`npm run demo`, `npx countersign` in a clone, the tests) there is no
 *   `assets/` folder: the first request bundles the source with esbuild's build API (a
 *   development dependency) and keeps the result in memory, rebuilt only when one of the files
 *   it was built from changes. No build step is needed to run from a fresh clone.
 */

/** The folder, beside the serving module, that holds the built files. */
export const BUILT_FOLDER = 'assets';

/** One file a page loads. */
export interface BrowserAsset {
  body: string;
  contentType: string;
}

export interface BrowserAssetsOptions {
  /** `import.meta.url` of the module that serves the files: sources and built files are found beside it. */
  owner: string;
  /**
   * The served file names and their sources, relative to the owner's folder. A `.ts` source
   * becomes one script (an IIFE: no modules, no globals); a `.css` source one stylesheet with
   * its `@import`s inlined.
   * @example { 'chat.js': 'browser/chat.ts', 'chat.css': 'browser/chat.css' }
   */
  sources: Record<string, string>;
}

export interface BrowserAssets {
  /** The served file names. */
  readonly names: readonly string[];
  /** The owner's folder (sources are relative to it; the build mirrors it under `dist/`). */
  readonly folder: string;
  /** The file: the built one when it exists, else bundled from its source (once, kept in memory). */
  get(name: string): Promise<BrowserAsset>;
  /** Bundle every file, minified, into `outFolder` (the build); returns the paths written. */
  build(outFolder: string): Promise<string[]>;
}

/** Browsers the bundles are written for (esbuild lowers newer syntax for them). */
const TARGETS = ['chrome100', 'edge100', 'firefox100', 'safari15'];

const CONTENT_TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

type Esbuild = typeof import('esbuild');
let esbuildModule: Promise<Esbuild> | undefined;

async function loadEsbuild(missing: string): Promise<Esbuild> {
  esbuildModule ??= import('esbuild');
  try {
    return await esbuildModule;
  } catch {
    esbuildModule = undefined;
    throw new Error(`${missing} is not built and esbuild (a development dependency) is not installed: run \`npm run build\` in the package, or install its development dependencies`);
  }
}

interface Bundle {
  text: string;
  /** The files it was built from, with their modification times. */
  inputs: Array<[file: string, mtimeMs: number]>;
}

async function bundle(source: string, minify: boolean, missing: string): Promise<Bundle> {
  if (!existsSync(source)) throw new Error(`neither ${missing} nor its source ${source} exists: run \`npm run build\``);
  const esbuild = await loadEsbuild(missing);
  const result = await esbuild.build({
    entryPoints: [source],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'browser',
    format: 'iife',
    target: TARGETS,
    minify,
    charset: 'utf8',
    legalComments: 'none',
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error(`esbuild produced nothing for ${source}`);
  const workingDirectory = process.cwd();
  const inputs = await Promise.all(
    Object.keys(result.metafile.inputs).map(async (input): Promise<[string, number]> => {
      const file = path.resolve(workingDirectory, input);
      return [file, (await stat(file)).mtimeMs];
    }),
  );
  return { text: output.text, inputs };
}

async function unchanged(inputs: Bundle['inputs']): Promise<boolean> {
  try {
    const times = await Promise.all(inputs.map(([file]) => stat(file).then((stats) => stats.mtimeMs)));
    return times.every((time, index) => time === inputs[index]![1]);
  } catch {
    return false;
  }
}

/** The files of one page: built ones when present, else bundled from the sources on demand. */
export function createBrowserAssets(options: BrowserAssetsOptions): BrowserAssets {
  const folder = path.dirname(fileURLToPath(options.owner));
  const names = Object.keys(options.sources);
  const loaded = new Map<string, Promise<Bundle & { built: boolean }>>();

  const contentType = (name: string) => {
    const type = CONTENT_TYPES[path.extname(name)];
    if (!type) throw new Error(`browser asset ${name}: only .js and .css files are served`);
    return type;
  };
  const sourceOf = (name: string) => {
    const relative = options.sources[name];
    if (relative === undefined) throw new Error(`no browser asset named ${name}`);
    return path.join(folder, relative);
  };

  async function load(name: string): Promise<Bundle & { built: boolean }> {
    const built = path.join(folder, BUILT_FOLDER, name);
    try {
      return { text: await readFile(built, 'utf8'), inputs: [], built: true };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return { ...(await bundle(sourceOf(name), false, built)), built: false };
  }

  for (const name of names) contentType(name);

  return {
    names,
    folder,
    async get(name: string): Promise<BrowserAsset> {
      const type = contentType(name);
      let current = loaded.get(name);
      // A bundle made from the sources is made again when one of its files changed since.
      if (current) {
        const previous = await current.catch(() => null);
        if (!previous || (!previous.built && !(await unchanged(previous.inputs)))) {
          if (loaded.get(name) === current) loaded.delete(name);
          current = undefined;
        }
      }
      if (!current) {
        current = loaded.get(name) ?? load(name);
        loaded.set(name, current);
      }
      return { body: (await current).text, contentType: type };
    },
    async build(outFolder: string): Promise<string[]> {
      await mkdir(outFolder, { recursive: true });
      const written: string[] = [];
      for (const name of names) {
        const file = path.join(outFolder, name);
        const { text } = await bundle(sourceOf(name), true, file);
        await writeFile(file, text);
        written.push(file);
      }
      return written;
    },
  };
}
