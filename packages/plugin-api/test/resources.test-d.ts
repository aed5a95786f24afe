// The resource protocols as the dagstack docs show them to TypeScript users.
import { describe, expectTypeOf, it } from 'vitest';
import type {
  BlobStore,
  Clock,
  HttpClient,
  HttpResponse,
  PluginContext,
  ProgressSink,
  ProgressUpdate,
  ResourceContainer,
  Rng,
  TempDir,
} from '../src/index.js';

interface DBClient {
  query(sql: string): Promise<unknown[]>;
}

describe('resource protocols', () => {
  it('ctx.resources.get<T>(name) types a resource for a non-optional field', () => {
    class GoodPlugin {
      private db!: DBClient;
      private progress!: ProgressSink;
      private http!: HttpClient;
      async setup(ctx: PluginContext): Promise<void> {
        this.db = ctx.resources.get<DBClient>('postgres');
        this.progress = ctx.resources.get<ProgressSink>('progress');
        this.http = ctx.resources.get<HttpClient>('http_client');
      }
      async process(): Promise<void> {
        this.progress.update({ percent: 0.5, message: 'Halfway there' });
        await this.db.query('select 1');
        await (await this.http.get('https://example.test/')).json();
      }
    }
    expectTypeOf<GoodPlugin>().toHaveProperty('setup');
    const resources = {} as ResourceContainer;
    // Standard names without a type argument keep their typed, optional form.
    expectTypeOf(resources.get('clock')).toEqualTypeOf<Clock | undefined>();
    expectTypeOf(resources.get('tmpdir')).toEqualTypeOf<TempDir | undefined>();
    expectTypeOf(resources.get('postgres')).toEqualTypeOf<unknown>();
    expectTypeOf(resources.get<DBClient>('postgres')).toEqualTypeOf<DBClient>();
    expectTypeOf(resources.get<Clock>('clock')).toEqualTypeOf<Clock>();
  });

  it('has the docs members with their types', () => {
    expectTypeOf<Clock['now']>().returns.toEqualTypeOf<Date>();
    expectTypeOf<Clock['monotonicNs']>().returns.toEqualTypeOf<bigint>();
    expectTypeOf<Rng['nextFloat']>().returns.toEqualTypeOf<number>();
    expectTypeOf<Rng['nextInt']>().parameters.toEqualTypeOf<[number, number]>();
    expectTypeOf<Rng['uuid4']>().returns.toEqualTypeOf<string>();
    const rng = {} as Rng;
    expectTypeOf(rng.choice(['a', 'b'])).toEqualTypeOf<string>();
    expectTypeOf(rng.choice([1, 2] as const)).toEqualTypeOf<1 | 2>();
    expectTypeOf<BlobStore['get']>().returns.toEqualTypeOf<Promise<Uint8Array>>();
    expectTypeOf<BlobStore['exists']>().returns.toEqualTypeOf<Promise<boolean>>();
    expectTypeOf<TempDir['createFile']>().parameters.toEqualTypeOf<[string, string?]>();
    expectTypeOf<ProgressUpdate>().toHaveProperty('percent').toEqualTypeOf<number>();
    const sink = {} as ProgressSink;
    sink.update({ percent: 1 });
    sink.update(0.5, 'halfway', { file: 'a' });
    sink.update(0.5, 'halfway', null);
    sink.event('file_skipped', { file: 'b' });
    // @ts-expect-error a payload is a JSON object
    sink.update({ percent: 0.5, payload: { when: new Date() } });
  });

  it('takes the web Response as an HttpResponse', () => {
    expectTypeOf<Response>().toMatchTypeOf<HttpResponse>();
    const http = {} as HttpClient;
    expectTypeOf(http.post('https://x.test/', { a: 1 })).toEqualTypeOf<Promise<HttpResponse>>();
    expectTypeOf(http.delete).parameters.toEqualTypeOf<[string | URL, RequestInit?]>();
  });
});
