// How an API process is started in production, by `npm start`, `npm start -w <api>` and the API
// image (Dockerfile.api; both checked by test/docker.test.ts), and by `npm run bench`:
// `node ${API_NODE_FLAGS} <api>/dist/server.js`.

/**
 * V8 flags of an API process. `--max-old-space-size=512` (MiB): left to itself, V8 sizes the
 * old generation from the machine's memory (4 GiB here) and, with that much room, lets it
 * grow to 4 × the live heap between full collections; under 256 connections the Orders API
 * (~40 MiB live) then climbed from ~150 to ~255 MiB of RSS over ~25 s before it levelled off.
 * With a 512 MiB cap V8 grows it by ~1.4 × instead: ~150 MiB within seconds, then flat, at no
 * measurable cost in CPU or throughput (more frequent, equally short full collections). The
 * cap is more than ten times the live heap; a process that reached it would stop with an
 * out-of-memory error rather than take the machine's memory.
 */
export const API_NODE_FLAGS = ['--max-old-space-size=512'];
