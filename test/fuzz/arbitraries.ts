// fast-check generators of hostile input for the fuzz suite: namespace paths that HDFS's rules
// (DFSUtil.isValidName and the fs-limits) must reject, WebHDFS requests with bad parameters, and
// malformed block uploads. Every generator says whether its value is *guaranteed* to be refused,
// so a property can demand a 4xx and an unchanged namespace without guessing.

import fc from 'fast-check';
import { crc32c } from '@node-rs/crc32';
import { WEBHDFS_OPS } from '../../shared/webhdfs.js';
import { CHECKSUM_CHUNK_BYTES } from '../../shared/constants.js';
import { FRAME_HEADER_BYTES } from '../../shared/block-transfer.js';

/** One path component in both forms: as put in a URL (possibly with bad escapes) and as a JS string (RPC, CLI). */
export interface Segment {
  url: string;
  text: string;
  /** The component alone makes any path holding it invalid. */
  hostile: boolean;
  /** An empty component: the CLI folds `a//b` into `a/b` as Hadoop's Path does, so only the servers refuse it. */
  foldsAway?: boolean;
}

export interface HostilePath {
  /** The path as it goes after /webhdfs/v1 (percent-encoded, possibly malformed). */
  url: string;
  /** The path as a string (for the client RPC and the CLI). */
  text: string;
  /** Refused by every endpoint: some component or the length breaks HDFS's path rules. */
  invalid: boolean;
  /** Refused by the CLI too (which folds repeated slashes first). */
  invalidForCli: boolean;
}

const plainName = fc.stringMatching(/^[a-z0-9_-]{1,10}$/);
const plain: fc.Arbitrary<Segment> = fc.oneof(
  plainName.map((name) => ({ url: name, text: name, hostile: false })),
  // Valid in dfs (no snapshots): never assume what it means, only that it is not special-cased into a crash.
  fc.constant({ url: '.snapshot', text: '.snapshot', hostile: false }),
);

const control = fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.constant(0x7f)).map((code) => String.fromCharCode(code));

/** Bytes that are not UTF-8, as URL escapes, and a JS string that is not valid Unicode either. */
const INVALID_UTF8_ESCAPES = ['%C3%28', '%FF', '%E2%82', '%ED%A0%80', '%C0%AF', '%F8%88%80%80%80', '%80', '%FE%FF'];
const INVALID_UNICODE_TEXT = ['\ud800', '\udfff', '\ufffd', 'a\ud83d'];

const hostile: fc.Arbitrary<Segment> = fc.oneof(
  fc.constantFrom('..', '.').map((name) => ({ url: name, text: name, hostile: true })),
  // Between two names: alone it would make `/`, the root.
  fc.tuple(plainName, plainName).map(([a, b]) => ({ url: `${a}//${b}`, text: `${a}//${b}`, hostile: true, foldsAway: true })),
  fc.tuple(plainName, control, plainName).map(([a, c, b]) => ({ url: encodeURIComponent(a + c + b), text: a + c + b, hostile: true })),
  fc.tuple(plainName, plainName, fc.boolean()).map(([a, b, raw]) => ({ url: raw ? `${a}:${b}` : `${a}%3A${b}`, text: `${a}:${b}`, hostile: true })),
  // Over 255 bytes: ASCII, or two-byte characters whose count alone stays under 255.
  fc.integer({ min: 256, max: 400 }).map((n) => ({ url: 'x'.repeat(n), text: 'x'.repeat(n), hostile: true })),
  fc.integer({ min: 128, max: 200 }).map((n) => ({ url: encodeURIComponent('é'.repeat(n)), text: 'é'.repeat(n), hostile: true })),
  fc.tuple(plainName, fc.constantFrom(...INVALID_UTF8_ESCAPES), fc.constantFrom(...INVALID_UNICODE_TEXT)).map(([a, escape, text]) => ({
    url: a + escape,
    text: a + text,
    hostile: true,
  })),
  // A malformed escape in the URL; in text form a NUL stands in for it.
  fc.tuple(plainName, fc.constantFrom('%', '%G1', '%2', '%%41')).map(([a, bad]) => ({ url: a + bad, text: `${a}\u0000`, hostile: true })),
);

/** A path that every endpoint must refuse: at least one hostile component, or longer than 8000 bytes. */
export const invalidPath: fc.Arbitrary<HostilePath> = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(fc.array(plain, { maxLength: 3 }), hostile, fc.array(fc.oneof(plain, hostile), { maxLength: 3 }), fc.boolean()).map(([before, bad, after, trailingSlash]) => joinSegments([...before, bad, ...after], trailingSlash)) },
  {
    weight: 1,
    // Past PATH_BYTES_MAX (8000) but under Node's 16 KiB request-line limit.
    arbitrary: fc.integer({ min: 36, max: 44 }).map((count) => joinSegments(Array.from({ length: count }, (_, i) => ({ url: `${String(i).padStart(3, '0')}${'p'.repeat(220)}`, text: `${String(i).padStart(3, '0')}${'p'.repeat(220)}`, hostile: false })), false, true)),
  },
);

/** Any path: hostile, or plain components (possibly existing, possibly with a trailing slash). */
export const anyPath = (existing: string[]): fc.Arbitrary<HostilePath> =>
  fc.oneof(
    invalidPath,
    fc.constantFrom(...existing).map((path) => ({ url: path.split('/').map(encodeURIComponent).join('/'), text: path, invalid: false, invalidForCli: false })),
    fc.tuple(fc.array(plain, { minLength: 1, maxLength: 4 }), fc.boolean()).map(([segments, slash]) => joinSegments(segments, slash)),
  );

function joinSegments(segments: Segment[], trailingSlash: boolean, tooLong = false): HostilePath {
  const suffix = trailingSlash ? '/' : '';
  return {
    url: '/' + segments.map((s) => s.url).join('/') + suffix,
    text: '/' + segments.map((s) => s.text).join('/') + suffix,
    invalid: tooLong || segments.some((s) => s.hostile),
    invalidForCli: tooLong || segments.some((s) => s.hostile && !s.foldsAway),
  };
}

// ---- WebHDFS parameters --------------------------------------------------------------------

export interface Param {
  name: string;
  value: string;
  /** A value every WebHDFS endpoint refuses for this (known) parameter. */
  bad: boolean;
}

/** Values a parameter's domain excludes (Hadoop's *Param classes), per parameter. */
const BAD_VALUES: Record<string, string[]> = {
  offset: ['abc', '-1', '1.5', '99999999999999999999', '0x10', ' 1'],
  length: ['-1', 'abc', '1e3', '18446744073709551616'],
  replication: ['0', '99999', '-3', 'two', '32768'],
  blocksize: ['0', '-1', 'huge', '1.0', '123456789012345678901234'],
  permission: ['999', 'xyz', '-755', '8', '77777', '0x1ff'],
  buffersize: ['0', '-4096', 'big'],
  overwrite: ['yes', '1', 'TRUE!'],
  recursive: ['maybe', '0'],
  noredirect: ['nope'],
  newlength: ['-5', 'short'],
  modificationtime: ['-2', 'now'],
  accesstime: ['-9', 'later'],
  'user.name': ['bad user', '0day', 'a/b', 'x:y', '-dash'],
  doas: ['bad user'],
  destination: ['relative/path', 'x'],
  namenoderpcaddress: ['a/b', 'has space', 'q?x', '%00', '\u0000', 'host:99999', '[zz]:1', 'user@host:1'],
};
const GOOD_VALUES: Record<string, string[]> = {
  offset: ['0', '1', '65536', '999999999'],
  length: ['0', '10', '100000'],
  replication: ['1', '2', '3'],
  blocksize: ['65536', '134217728'],
  permission: ['755', '644', '1777', '0'],
  buffersize: ['4096'],
  overwrite: ['true', 'false'],
  recursive: ['true', 'false'],
  newlength: ['0', '1'],
  'user.name': ['fuzzer', 'dr.who'],
  owner: ['nobody'],
  group: ['nogroup'],
  destination: ['/fuzz-elsewhere'],
  sources: ['/a,/b'],
  startafter: ['x'],
};

const knownBad: fc.Arbitrary<Param> = fc.constantFrom(...Object.keys(BAD_VALUES)).chain((name) =>
  fc.tuple(fc.constantFrom(...BAD_VALUES[name]), fc.boolean()).map(([value, upper]) => ({ name: upper ? name.toUpperCase() : name, value, bad: true })),
);
const knownGood: fc.Arbitrary<Param> = fc.constantFrom(...Object.keys(GOOD_VALUES)).chain((name) => fc.constantFrom(...GOOD_VALUES[name]).map((value) => ({ name, value, bad: false })));
const unknown: fc.Arbitrary<Param> = fc.tuple(fc.stringMatching(/^[a-zA-Z_.]{1,12}$/), fc.string({ maxLength: 20 })).map(([name, value]) => ({ name, value, bad: false }));

const ALL_OPS = Object.values(WEBHDFS_OPS).flat() as string[];
export const HTTP_METHODS = ['GET', 'PUT', 'POST', 'DELETE'] as const;

/** An op value: a real op (maybe for another HTTP method, maybe in lower case), junk, or none. */
const opValue: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...ALL_OPS) },
  { weight: 1, arbitrary: fc.constantFrom(...ALL_OPS).map((op) => op.toLowerCase()) },
  { weight: 1, arbitrary: fc.constantFrom('NOSUCHOP', 'OPEN;DROP', '', 'GETFILESTATUS ', 'créate', '%00') },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

export interface WebHdfsCase {
  method: string;
  path: HostilePath;
  /** Query parameters in order (names may repeat: the last one counts, as in Hadoop). */
  params: Param[];
}

/** A WebHDFS request; `extraParams` are appended (the datanode needs namenoderpcaddress). */
export const webhdfsCase = (existing: string[]): fc.Arbitrary<WebHdfsCase> =>
  fc
    .record({
      method: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...HTTP_METHODS) }, { weight: 1, arbitrary: fc.constantFrom('PATCH', 'OPTIONS', 'HEAD') }),
      path: anyPath(existing),
      op: opValue,
      repeatOp: fc.option(opValue, { nil: undefined }),
      params: fc.array(fc.oneof(knownBad, knownGood, unknown), { maxLength: 5 }),
    })
    .map(({ method, path, op, repeatOp, params }) => {
      const all: Param[] = [];
      if (op !== undefined) all.push({ name: 'op', value: op, bad: false });
      all.push(...params);
      if (repeatOp !== undefined) all.push({ name: 'op', value: repeatOp, bad: false });
      return { method, path, params: all };
    });

/** True when the request can only be refused: an invalid path, or a known parameter whose last value is bad. */
export function mustBeRefused(c: WebHdfsCase): boolean {
  if (c.path.invalid) return true;
  const last = new Map<string, Param>();
  for (const p of c.params) if (p.value !== '') last.set(p.name.toLowerCase(), p);
  return [...last.values()].some((p) => p.bad);
}

/** Makes a case refusable by appending a bad value for a known parameter (the last value counts). */
export const forceRefusal = (c: WebHdfsCase, bad: Param): WebHdfsCase => (mustBeRefused(c) ? c : { ...c, params: [...c.params, bad] });
export const badParam = knownBad;

export function webhdfsUrl(base: string, c: WebHdfsCase): string {
  // Raw names and values, encoded only as much as a URL must be: the server sees exactly these.
  const query = c.params.map((p) => `${encodeURIComponent(p.name)}=${encodeURIComponent(p.value)}`).join('&');
  return `${base}/webhdfs/v1${c.path.url}${query ? `?${query}` : ''}`;
}

/** True for a (method, op) pair that may change the namespace or write data. */
export function isWriteCase(c: WebHdfsCase): boolean {
  return c.method === 'PUT' || c.method === 'POST' || c.method === 'DELETE';
}

// ---- block uploads ----------------------------------------------------------------------------

export interface BadUpload {
  body: Buffer;
  flaw: string;
}

/** Reported by its flaw and size (and its bytes in hex only when short), not as a 200 KB buffer. */
function describedUpload(body: Buffer, flaw: string): BadUpload {
  return {
    body,
    flaw,
    [fc.toStringMethod]: () => `{ flaw: ${flaw}, bytes: ${body.length}, head: ${body.subarray(0, 16).toString('hex')} }`,
  } as BadUpload;
}

function frame(data: Buffer, crc = crc32c(data)): Buffer {
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header.writeUInt32BE(data.length, 0);
  header.writeUInt32BE(crc >>> 0, 4);
  return Buffer.concat([header, data]);
}
const END = Buffer.alloc(FRAME_HEADER_BYTES);

/**
 * A block upload with exactly one flaw the receiver must catch: a wrong or zero CRC, a frame cut
 * short, no end frame, bytes after the end frame, an oversized frame, a non-zero end CRC, a data
 * frame after a short one, or plain garbage.
 */
export const badUpload: fc.Arbitrary<BadUpload> = fc
  .record({
    sizes: fc.array(fc.integer({ min: 1, max: CHECKSUM_CHUNK_BYTES }), { minLength: 1, maxLength: 3 }),
    flaw: fc.constantFrom('wrong-crc', 'zero-crc', 'cut-frame', 'no-end-frame', 'trailing-bytes', 'oversized-frame', 'end-crc', 'data-after-short', 'garbage'),
    which: fc.nat(),
    seed: fc.integer({ min: 1, max: 255 }),
  })
  .map(({ sizes, flaw, which, seed }) => {
    // Full chunks but the last, as a good sender writes.
    const datas = sizes.map((size, i) => Buffer.alloc(i < sizes.length - 1 ? CHECKSUM_CHUNK_BYTES : size, (seed + i) & 0xff));
    const target = which % datas.length;
    const frames = datas.map((data) => frame(data));
    switch (flaw) {
      case 'wrong-crc':
        frames[target] = frame(datas[target], crc32c(datas[target]) ^ 0x1);
        return describedUpload(Buffer.concat([...frames, END]), flaw);
      case 'zero-crc':
        frames[target] = frame(datas[target], crc32c(datas[target]) === 0 ? 1 : 0);
        return describedUpload(Buffer.concat([...frames, END]), flaw);
      case 'cut-frame':
        return describedUpload(Buffer.concat([...frames.slice(0, target), frames[target].subarray(0, Math.max(1, frames[target].length - 1 - (seed % 7)))]), flaw);
      case 'no-end-frame':
        return describedUpload(Buffer.concat(frames), flaw);
      case 'trailing-bytes':
        return describedUpload(Buffer.concat([...frames, END, Buffer.from([seed])]), flaw);
      case 'oversized-frame': {
        const header = Buffer.alloc(FRAME_HEADER_BYTES);
        header.writeUInt32BE(CHECKSUM_CHUNK_BYTES + 1 + seed, 0);
        return describedUpload(Buffer.concat([...frames.slice(0, target), header, Buffer.alloc(64)]), flaw);
      }
      case 'end-crc': {
        const end = Buffer.alloc(FRAME_HEADER_BYTES);
        end.writeUInt32BE(seed, 4);
        return describedUpload(Buffer.concat([...frames, end]), flaw);
      }
      case 'data-after-short':
        return describedUpload(Buffer.concat([frame(Buffer.alloc(1 + seed, 7)), frame(Buffer.alloc(10, 8)), END]), flaw);
      default:
        return describedUpload(Buffer.alloc(1 + seed * 3, seed), flaw);
    }
  });
