import type * as amqp from 'amqplib';

/**
 * amqplib writes every frame with its own socket write; under load that is most of the CPU. Its
 * multiplexer already gathers a turn's frames (from every channel) and writes them one after the other
 * in one pass: corking the socket around that pass sends them in one writev. (Corking on the first
 * write and uncorking on the next tick did the same, but a tick per write costs Node a tick-queue drain.)
 * Writes outside the multiplexer (heartbeats, the protocol header) go out as before.
 */
export function coalesceWrites(model: amqp.ChannelModel): void {
  const connection = model.connection as unknown as {
    stream?: { cork?: () => void; uncork?: () => void };
    muxer?: Muxer;
  };
  const sock = connection.stream;
  const muxer = connection.muxer;
  if (!sock || typeof sock.cork !== 'function' || typeof sock.uncork !== 'function') return;
  if (!muxer || typeof muxer._readIncoming !== 'function') return;
  const readIncoming = muxer._readIncoming;
  const cork = sock.cork.bind(sock);
  const uncork = sock.uncork.bind(sock);
  muxer._readIncoming = function (this: Muxer) {
    // A single frame goes straight out: corking it would only add the socket's buffering.
    if (framesWaiting(this) < 2) return readIncoming.call(this);
    cork();
    try {
      readIncoming.call(this);
    } finally {
      uncork();
    }
  };
}

/** What {@link coalesceWrites} reads of amqplib's multiplexer: the channels' outgoing frame streams. */
interface Muxer {
  _readIncoming?: () => void;
  newStreams?: ReadonlyArray<{ readableLength?: number }>;
  oldStreams?: ReadonlyArray<{ readableLength?: number }>;
}

/** Frames the multiplexer's channels hold (counted up to 2: all that matters is whether there is more than one). */
function framesWaiting(muxer: Muxer): number {
  let frames = 0;
  for (const streams of [muxer.newStreams, muxer.oldStreams]) {
    if (streams === undefined) return 2; // not the multiplexer we know: cork, as before
    for (let i = 0; i < streams.length && frames < 2; i++) frames += streams[i]!.readableLength ?? 2;
  }
  return frames;
}
