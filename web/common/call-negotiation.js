// Offers, answers and ICE candidates with each other member, one step at a time per member.
// The member whose peer_id sorts first offers; the answering side is "polite": if offers
// cross, it rolls back and takes the other's. If the other side is a new page (a reload:
// its DTLS fingerprint changed), its old peer connection is replaced by a fresh one.

const STALE_OFFER_MS = 1500;

function fingerprint(sdp) {
  const match = /^a=fingerprint:(\S+ \S+)/m.exec(sdp || "");
  return match ? match[1] : null;
}

export class Negotiation {
  /** Each member's queue of signaling steps (kept when their connection is replaced). */
  #chains = new Map();
  #peers;
  #roster;
  #send;
  #isActive;

  /**
   * @param {object} options
   * @param {import("./call-peers.js").PeerMesh} options.peers
   * @param {import("./call-roster.js").Roster} options.roster
   * @param {(to: string, body: object) => void} options.send a signal to one member
   * @param {() => boolean} options.isActive whether the call is still on
   */
  constructor({ peers, roster, send, isActive }) {
    this.#peers = peers;
    this.#roster = roster;
    this.#send = send;
    this.#isActive = isActive;
  }

  /** Queue an offer on `peer` (it is skipped if the connection is gone or busy by then). */
  offer(peer) {
    return this.#chain(peer.id, () => this.#makeOffer(peer));
  }

  /** Queue a `signal` from another member: a description or an ICE candidate. */
  receive(message) {
    return this.#chain(message.from, () => this.#handle(message));
  }

  /** Drop every queue (all connections have been closed). */
  reset() {
    this.#chains.clear();
  }

  /** Run signaling steps for one remote peer strictly one after another. */
  #chain(id, step) {
    const next = (this.#chains.get(id) || Promise.resolve()).then(step).catch((error) => {
      console.warn("signaling step failed", error && error.name);
    });
    this.#chains.set(id, next);
    return next;
  }

  async #makeOffer(peer) {
    if (this.#peers.get(peer.id) !== peer || peer.pc.signalingState !== "stable") return;
    try {
      peer.makingOffer = true;
      await peer.pc.setLocalDescription();
      peer.offerSentAt = Date.now();
      this.#sendDescription(peer);
    } finally {
      peer.makingOffer = false;
    }
  }

  async #handle({ from, description, candidate }) {
    if (!this.#isActive()) return;
    const peer = this.#peers.get(from);
    if (description && description.type === "offer") await this.#takeOffer(from, peer, description);
    else if (description && description.type === "answer") await this.#takeAnswer(from, peer, description);
    else if (candidate && peer) await this.#takeCandidate(peer, candidate);
  }

  async #takeOffer(from, current, description) {
    const print = fingerprint(description.sdp);
    const peer = this.#peerForOffer(from, current, print);
    if (!peer) return;
    peer.ignoreOffer = this.#roster.offersTo(from) && this.#collides(peer);
    if (peer.ignoreOffer) return;
    peer.answering = true;
    try {
      await peer.pc.setRemoteDescription(description);
      peer.remoteFingerprint = print;
      await peer.pc.setLocalDescription();
      this.#sendDescription(peer);
      await this.#flush(peer);
    } finally {
      peer.answering = false;
    }
  }

  /** The connection an offer from `from` goes to: a fresh one if they are a new page. */
  #peerForOffer(from, peer, print) {
    if (peer && peer.remoteFingerprint && print && print !== peer.remoteFingerprint) peer = this.#peers.replace(from, false);
    if (!peer) peer = this.#roster.member(from) ? this.#peers.create(from) : null;
    return peer;
  }

  /** Whether an offer that came now crossed one of ours that may still be answered. */
  #collides(peer) {
    const collision = peer.makingOffer || peer.pc.signalingState !== "stable";
    // Our own offer unanswered for long was probably lost (sent before they listened).
    const stale = !peer.makingOffer && peer.pc.signalingState === "have-local-offer"
      && Date.now() - peer.offerSentAt > STALE_OFFER_MS;
    return collision && !stale;
  }

  async #takeAnswer(from, peer, description) {
    if (!peer || peer.pc.signalingState !== "have-local-offer") return;
    const print = fingerprint(description.sdp);
    if (peer.remoteFingerprint && print && print !== peer.remoteFingerprint) {
      // They are a new page (a reload): start a fresh connection instead of patching the old.
      this.#peers.replace(from, true);
      return;
    }
    try {
      await peer.pc.setRemoteDescription(description);
      peer.remoteFingerprint = print;
      await this.#flush(peer);
    } catch {
      this.#peers.replace(from, true);
    }
  }

  async #takeCandidate(peer, candidate) {
    if (!peer.pc.remoteDescription) peer.pending.push(candidate);
    else await peer.pc.addIceCandidate(candidate).catch(() => {});
  }

  async #flush(peer) {
    const pending = peer.pending.splice(0);
    for (const candidate of pending) await peer.pc.addIceCandidate(candidate).catch(() => {});
  }

  #sendDescription(peer) {
    const { type, sdp } = peer.pc.localDescription;
    this.#send(peer.id, { description: { type, sdp } });
  }
}
