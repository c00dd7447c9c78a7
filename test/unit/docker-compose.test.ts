import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { loadConfig } from '../../src/config/load-config.js';
import { ENVIRONMENT } from '../../src/config/environment.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (name: string) => readFileSync(path.join(root, name), 'utf8');
const composeText = read('docker-compose.yml');
const envExample = read('.env.example');
const dockerfile = read('Dockerfile');

/** True when the docker compose client works here (it needs no engine for `config`). */
function composeClientWorks(): boolean {
  const result = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8', timeout: 20_000 });
  return result.status === 0;
}

/** Compose's own interpolation: `${VAR}`, `${VAR:-default}`, `${VAR-default}`, and `$$` for a literal `$`. */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}/g, (match, name?: string, operator?: string, fallback?: string) => {
    if (match === '$$') return '$';
    const value = env[name!];
    if (operator === ':-') return value ? value : (fallback ?? '');
    if (operator === '-') return value ?? fallback ?? '';
    return value ?? '';
  });
}

/** Variables the compose file interpolates (not the `$$` escapes that reach the container's shell). */
function referencedVariables(text: string): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(/(\$+)\{([A-Za-z_][A-Za-z0-9_]*)/g)) if (match[1]!.length % 2 === 1) names.add(match[2]!);
  return [...names];
}

/** Variables named in .env.example, set or commented out (`NAME=` or `# NAME=`). */
function exampleVariables(text: string): Set<string> {
  return new Set([...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]!));
}

interface Port {
  hostIp?: string;
  published: string;
  target: string;
}

/** Short (`[ip:]host:container`) and long port syntax, as one shape. */
function portsOf(service: Service): Port[] {
  return (service.ports ?? []).map((port) => {
    if (typeof port === 'object') return { hostIp: port.host_ip, published: String(port.published), target: String(port.target) };
    const parts = String(port).split(':');
    const target = parts.pop()!;
    const published = parts.pop() ?? target;
    return { hostIp: parts.pop(), published, target };
  });
}

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Record<string, string> | string[];
  env_file?: string | Array<string | { path: string; required?: boolean }>;
  ports?: Array<string | { target: number; published?: string | number; host_ip?: string }>;
  volumes?: Array<string | { type?: string; source?: string; target: string }>;
  healthcheck?: { test: string[] | string; interval?: string; retries?: number; start_period?: string };
  depends_on?: string[] | Record<string, { condition?: string; required?: boolean }>;
  profiles?: string[];
}

interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

// What compose would see with no .env: every variable at its default.
const document = parseDocument(interpolate(composeText, {}));
const compose = document.toJS() as ComposeFile;
const services = compose.services;
const joined = (value: string[] | string | undefined) => (Array.isArray(value) ? value.join(' ') : (value ?? ''));
const volumeSources = (service: Service) =>
  (service.volumes ?? []).map((volume) => (typeof volume === 'string' ? { source: volume.split(':')[0], target: volume.split(':')[1] } : volume));

describe('docker-compose.yml', () => {
  it('is a valid compose file: `docker compose config` accepts it, or without the compose client it parses as YAML', () => {
    if (composeClientWorks()) {
      const result = spawnSync('docker', ['compose', '--profile', 'local-critic', 'config', '--format', 'json'], {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(result.status, result.stderr).toBe(0);
      const resolved = JSON.parse(result.stdout) as ComposeFile;
      expect(Object.keys(resolved.services).sort()).toEqual(['countersign', 'ollama', 'redis']);
    } else {
      expect(document.errors).toEqual([]);
      expect(document.warnings).toEqual([]);
    }
    expect(Object.keys(services).sort()).toEqual(['countersign', 'ollama', 'redis']);
  });

  it('runs Redis 7 with AOF persistence in a named volume and a health check', () => {
    const redis = services.redis!;
    expect(redis.image).toMatch(/^redis:7\b/);
    expect(joined(redis.command)).toMatch(/--appendonly yes/);
    const data = volumeSources(redis).find((volume) => volume.target === '/data');
    expect(data?.source).toBeTruthy();
    expect(Object.keys(compose.volumes ?? {})).toContain(data!.source);
    expect(joined(redis.healthcheck?.test)).toMatch(/redis-cli.*ping/);
    // Published on loopback only, for `npm run demo` on the host.
    expect(portsOf(redis)).toEqual([{ hostIp: '127.0.0.1', published: '6379', target: '6379' }]);
    expect(redis.profiles).toBeUndefined();
  });

  it('builds countersign from the Dockerfile, reads .env, waits for a healthy Redis and serves port 3000', () => {
    const app = services.countersign!;
    const build = typeof app.build === 'string' ? { context: app.build } : app.build;
    expect(path.resolve(root, build?.context ?? '')).toBe(root);
    expect(build?.dockerfile ?? 'Dockerfile').toBe('Dockerfile');
    const envFiles = (Array.isArray(app.env_file) ? app.env_file : [app.env_file]).map((file) => (typeof file === 'object' ? file?.path : file));
    expect(envFiles).toContain('.env');
    expect(app.depends_on).toMatchObject({ redis: { condition: 'service_healthy' } });
    expect(portsOf(app)).toEqual([{ hostIp: undefined, published: '3000', target: '3000' }]);
    const environment = app.environment as Record<string, string>;
    expect(environment.REDIS_URL).toBe('redis://redis:6379');
    expect(app.profiles).toBeUndefined();
  });

  it('offers a local-critic profile: Ollama pulls a small open model and serves it at CRITIC_BASE_URL', () => {
    const ollama = services.ollama!;
    expect(ollama.profiles).toEqual(['local-critic']);
    expect(ollama.image).toMatch(/^ollama\/ollama/);
    expect((ollama.environment as Record<string, string>).CRITIC_MODEL).toBe('qwen2.5:1.5b-instruct');
    expect(joined(ollama.entrypoint)).toMatch(/ollama serve/);
    expect(joined(ollama.entrypoint)).toMatch(/ollama pull "\$CRITIC_MODEL"/);
    expect(joined(ollama.healthcheck?.test)).toMatch(/ollama show/);
    const models = volumeSources(ollama).find((volume) => volume.target === '/root/.ollama');
    expect(Object.keys(compose.volumes ?? {})).toContain(models?.source);
    // countersign waits for it only when the profile is on.
    expect(services.countersign!.depends_on).toMatchObject({ ollama: { condition: 'service_healthy', required: false } });
    expect(envExample).toMatch(/^# CRITIC_BASE_URL=http:\/\/ollama:11434\/v1$/m);
  });

  it('names only variables that .env.example lists', () => {
    const listed = exampleVariables(envExample);
    const referenced = referencedVariables(composeText);
    expect(referenced.length).toBeGreaterThan(0);
    expect(referenced.filter((name) => !listed.has(name))).toEqual([]);
  });
});

describe('.env.example', () => {
  it('lists every environment variable countersign reads', () => {
    const listed = exampleVariables(envExample);
    expect(Object.keys(ENVIRONMENT).filter((name) => !listed.has(name))).toEqual([]);
  });

  it("shows each variable with the schema's own default (the first time it appears), so the file cannot drift from the code", () => {
    const defaults = loadConfig({ file: '/nonexistent-countersign.yaml', env: {}, models: [] }) as unknown as Record<string, unknown>;
    const valueAt = (dotted: string) => dotted.split('.').reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), defaults);
    const shown = new Map<string, string>();
    for (const match of envExample.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=(.*)$/gm)) if (!shown.has(match[1]!)) shown.set(match[1]!, match[2]!.trim());
    const drift: string[] = [];
    for (const [name, dotted] of Object.entries(ENVIRONMENT)) {
      const example = shown.get(name);
      const value = valueAt(dotted);
      if (example === undefined || example === '' || value === undefined || value === null) continue;
      const expected = Array.isArray(value) ? value.join(',') : String(value);
      if (example !== expected) drift.push(`${name}: .env.example shows ${JSON.stringify(example)}, the default is ${JSON.stringify(expected)}`);
    }
    expect(drift).toEqual([]);
  });

  it('sets no secret', () => {
    for (const match of envExample.matchAll(/^#?\s*([A-Z_]*(TOKEN|SECRET|KEY))=(.*)$/gm)) expect(match[3], match[1]).toBe('');
  });
});

describe('Dockerfile', () => {
  const stages = dockerfile.split(/^FROM /m).slice(1);

  it('builds in one stage and runs production dependencies only, as a non-root user, in the last', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages[0]).toMatch(/npm run build/);
    const runtime = stages.at(-1)!;
    expect(runtime).toMatch(/npm ci --omit=dev/);
    expect(runtime).toMatch(/COPY --from=build \/app\/dist/);
    const user = [...runtime.matchAll(/^USER\s+(\S+)/gm)].at(-1)?.[1];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    expect(runtime).toMatch(/^EXPOSE 3000$/m);
    expect(runtime).toMatch(/^CMD \["node", "dist\/src\/cli.js", "start"\]$/m);
  });

  it('checks its health on /healthz', () => {
    expect(stages.at(-1)).toMatch(/^HEALTHCHECK[\s\S]*\/healthz/m);
  });

  it('keeps secrets and local state out of the build context', () => {
    const ignored = read('.dockerignore').split('\n');
    for (const entry of ['.env', 'node_modules', 'dist', '.git']) expect(ignored).toContain(entry);
  });
});
