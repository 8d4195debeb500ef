// Our own camera and microphone in the call: mute, camera off, and what each peer
// connection is sent. While we or a member are paused, our tracks are not sent to them
// (replaceTrack(null)); nothing is recorded.

export class LocalTracks {
  #stream;
  #paused = false;

  /** @param {MediaStream} stream our camera and microphone (possibly without either) */
  constructor(stream) {
    this.#stream = stream;
  }

  /** Our own pause: `sendTo` then sends nobody anything. */
  setPaused(paused) {
    this.#paused = paused;
  }

  setMuted(muted) {
    for (const track of this.#stream.getAudioTracks()) track.enabled = !muted;
  }

  setCameraOff(off) {
    for (const track of this.#stream.getVideoTracks()) track.enabled = !off;
  }

  /** Add our tracks to a new connection; `offering`: receive what we have no track for too. */
  attach(pc, offering) {
    for (const track of this.#stream.getTracks()) pc.addTrack(track, this.#stream);
    if (!offering) return;
    // Without a camera or microphone of our own we still want to see and hear them.
    for (const kind of ["audio", "video"]) {
      if (!this.#stream.getTracks().some((track) => track.kind === kind)) pc.addTransceiver(kind, { direction: "recvonly" });
    }
  }

  /** Send our tracks on `pc`, or nothing while we or they (`theyArePaused`) are paused. */
  sendTo(pc, theyArePaused) {
    const send = !this.#paused && !theyArePaused;
    for (const transceiver of pc.getTransceivers()) {
      if (transceiver.stopped || !transceiver.receiver.track) continue;
      const kind = transceiver.receiver.track.kind;
      const track = send ? this.#stream.getTracks().find((t) => t.kind === kind) || null : null;
      if (transceiver.sender.track !== track) transceiver.sender.replaceTrack(track).catch(() => {});
    }
  }
}
