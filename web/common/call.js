// The call: a WebRTC mesh of up to 4 devices, as docs/protocol.md ("The call") describes.
//
// - `call_join` answers with our peer_id, the ICE servers and the roster.
// - For each pair, the member whose peer_id sorts first offers; the other answers. The
//   answering side is "polite": if offers cross, it rolls back and takes the other's.
// - After a reconnect (or when a member comes back from `reconnecting`), the offering side
//   restarts ICE. If the other side is a new page (a reload: its DTLS fingerprint changed),
//   the old peer connection is replaced by a fresh one.
// - While we or a member are paused, our tracks are not sent to them (replaceTrack(null)).
// The server relays signaling only; nothing here is stored or recorded.

import { request } from "./socket.js";

const FALLBACK_OFFER_MS = 1500;
const STALE_OFFER_MS = 1500;
const CONNECT_WATCHDOG_MS = 10000;

function fingerprint(sdp) {
  const match = /^a=fingerprint:(\S+ \S+)/m.exec(sdp || "");
  return match ? match[1] : null;
}

export class Call extends EventTarget {
  /**
   * @param {object} options
   * @param {import("socket.io-client").Socket} options.socket
   * @param {MediaStream} options.localStream
   * @param {string|null} [options.roomId] the room (clinicians); guests have one call
   */
  constructor({ socket, localStream, roomId = null }) {
    super();
    this.socket = socket;
    this.local = localStream;
    this.roomId = roomId;
    this.peerId = null;
    this.iceServers = [];
    this.members = [];
    this.peers = new Map();
    this.chains = new Map();
    this.early = [];
    this.selfPaused = false;
    this.active = false;
    this.joining = null;
    this.onRoster = (roster) => this.#roster(roster);
    this.onSignal = (message) => this.#signal(message);
    this.onTech = (message) => this.#tech(message);
    this.onReconnect = () => {
      if (this.active) this.join();
    };
  }

  /** Join (or, after a reconnect, rejoin) the call; resolves the server's acknowledgement. */
  join() {
    if (this.joining) return this.joining;
    this.joining = this.#join().finally(() => {
      this.joining = null;
    });
    return this.joining;
  }

  async #join() {
    if (!this.active) {
      this.active = true;
      this.socket.on("roster", this.onRoster);
      this.socket.on("signal", this.onSignal);
      this.socket.on("tech_message", this.onTech);
      this.socket.on("connect", this.onReconnect);
    }
    const ack = await request(this.socket, "call_join", this.roomId ? { room_id: this.roomId } : undefined);
    if (!this.active) return ack;
    if (!ack.ok) {
      this.dispatchEvent(new CustomEvent("error", { detail: ack }));
      return ack;
    }
    const rejoin = this.peerId !== null;
    if (rejoin && ack.peer_id !== this.peerId) this.#closePeers();
    this.peerId = ack.peer_id;
    this.iceServers = Array.isArray(ack.ice_servers) ? ack.ice_servers : [];
    this.#applyRoster(ack.roster || { members: [] }, rejoin);
    const early = this.early.splice(0);
    for (const message of early) this.#signal(message);
    return ack;
  }

  /** Leave the call: close every peer connection; clinicians also tell the server. */
  async leave() {
    if (!this.active) return;
    this.active = false;
    this.socket.off("roster", this.onRoster);
    this.socket.off("signal", this.onSignal);
    this.socket.off("tech_message", this.onTech);
    this.socket.off("connect", this.onReconnect);
    this.#closePeers();
    this.members = [];
    this.peerId = null;
    if (this.roomId) await request(this.socket, "call_leave", { room_id: this.roomId });
    this.#changed();
  }

  /** Our own pause: stop sending to everyone (the server has paused our visit). */
  setPaused(paused) {
    this.selfPaused = paused;
    for (const peer of this.peers.values()) this.#applySending(peer);
  }

  /** Feed a `signal` that arrived before this call listened (the page buffered it). */
  receive(message) {
    this.#signal(message);
  }

  setMuted(muted) {
    for (const track of this.local.getAudioTracks()) track.enabled = !muted;
  }

  setCameraOff(off) {
    for (const track of this.local.getVideoTracks()) track.enabled = !off;
  }

  sendTech(code) {
    return request(this.socket, "tech_message", this.#addressed({ code }));
  }

  /** Everyone else in the call, with their peer connection state and remote stream. */
  others() {
    return this.members
      .filter((member) => member.peer_id !== this.peerId)
      .map((member) => {
        const peer = this.peers.get(member.peer_id);
        return { member, stream: peer ? peer.stream : null, state: peer ? peer.pc.connectionState : "new" };
      });
  }

  self() {
    return this.members.find((member) => member.peer_id === this.peerId) || null;
  }

  member(peerId) {
    return this.members.find((member) => member.peer_id === peerId) || null;
  }

  // --- roster ------------------------------------------------------------------

  #roster(roster) {
    if (!this.active || !roster) return;
    if (this.roomId && roster.room_id && roster.room_id !== this.roomId) return;
    if (this.peerId === null) return; // the call_join acknowledgement carries a fresher one
    this.#applyRoster(roster, false);
  }

  #applyRoster(roster, rejoin) {
    const before = new Map(this.members.map((member) => [member.peer_id, member]));
    this.members = Array.isArray(roster.members) ? roster.members : [];
    const others = this.members.filter((member) => member.peer_id !== this.peerId);
    const present = new Set(others.map((member) => member.peer_id));
    for (const [id, peer] of this.peers) {
      if (!present.has(id)) {
        this.#closePeer(peer);
        this.peers.delete(id);
      }
    }
    for (const member of others) {
      const peer = this.peers.get(member.peer_id);
      const previous = before.get(member.peer_id);
      if (!peer) this.#createPeer(member.peer_id);
      else if (rejoin || (previous && previous.reconnecting && !member.reconnecting)) this.#restart(peer);
      else this.#applySending(peer);
    }
    this.#changed();
  }

  // --- peers -------------------------------------------------------------------

  #offers(id) {
    return this.peerId !== null && this.peerId < id;
  }

  #createPeer(id) {
    const pc = new RTCPeerConnection({ iceServers: this.iceServers, bundlePolicy: "max-bundle" });
    const peer = {
      id, pc, stream: null, pending: [], remoteFingerprint: null,
      makingOffer: false, ignoreOffer: false, answering: false, timers: [], offerSentAt: 0,
    };
    for (const track of this.local.getTracks()) pc.addTrack(track, this.local);
    if (this.#offers(id)) {
      // Without a camera or microphone of our own we still want to see and hear them.
      for (const kind of ["audio", "video"]) {
        if (!this.local.getTracks().some((track) => track.kind === kind)) pc.addTransceiver(kind, { direction: "recvonly" });
      }
    }
    pc.onicecandidate = ({ candidate }) => {
      if (!candidate || !candidate.candidate || this.peers.get(id) !== peer) return;
      this.#send(id, {
        candidate: { candidate: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex },
      });
    };
    pc.ontrack = ({ track, streams }) => {
      if (streams && streams[0]) peer.stream = streams[0];
      else {
        if (!peer.stream) peer.stream = new MediaStream();
        peer.stream.addTrack(track);
      }
      this.#changed();
    };
    pc.onconnectionstatechange = () => {
      if (this.peers.get(id) !== peer) return;
      if (pc.connectionState === "connected") this.#clearTimers(peer);
      if (pc.connectionState === "failed") this.#restart(peer);
      this.#changed();
    };
    pc.onnegotiationneeded = () => {
      if (this.#offers(id) && !peer.answering) this.#chain(id, () => this.#makeOffer(peer));
    };
    this.peers.set(id, peer);
    this.#applySending(peer);
    this.#watch(peer);
    return peer;
  }

  /** If nothing connects in time, try again: a fallback offer, then a fresh connection. */
  #watch(peer) {
    this.#clearTimers(peer);
    if (!this.#offers(peer.id)) {
      peer.timers.push(setTimeout(() => {
        if (this.peers.get(peer.id) === peer && !peer.pc.remoteDescription) this.#chain(peer.id, () => this.#makeOffer(peer));
      }, FALLBACK_OFFER_MS));
    }
    peer.timers.push(setTimeout(() => {
      if (this.peers.get(peer.id) === peer && peer.pc.connectionState !== "connected") {
        this.#replacePeer(peer.id, true);
      }
    }, CONNECT_WATCHDOG_MS));
  }

  #clearTimers(peer) {
    for (const timer of peer.timers) clearTimeout(timer);
    peer.timers = [];
  }

  #restart(peer) {
    if (this.#offers(peer.id)) peer.pc.restartIce();
    this.#watch(peer);
  }

  /** A fresh peer connection for `id`; `offer` lets the answering side offer at once. */
  #replacePeer(id, offer) {
    const old = this.peers.get(id);
    if (old) this.#closePeer(old);
    this.peers.delete(id);
    if (!this.active || !this.member(id)) return null;
    const peer = this.#createPeer(id);
    if (offer && !this.#offers(id)) this.#chain(id, () => this.#makeOffer(peer));
    this.#changed();
    return peer;
  }

  #closePeer(peer) {
    this.#clearTimers(peer);
    peer.pc.onicecandidate = peer.pc.ontrack = peer.pc.onconnectionstatechange = peer.pc.onnegotiationneeded = null;
    peer.pc.close();
  }

  #closePeers() {
    for (const peer of this.peers.values()) this.#closePeer(peer);
    this.peers.clear();
    this.chains.clear();
  }

  #applySending(peer) {
    const member = this.member(peer.id);
    const send = !this.selfPaused && !(member && member.state === "paused");
    for (const transceiver of peer.pc.getTransceivers()) {
      if (transceiver.stopped || !transceiver.receiver.track) continue;
      const kind = transceiver.receiver.track.kind;
      const track = send ? this.local.getTracks().find((t) => t.kind === kind) || null : null;
      if (transceiver.sender.track !== track) transceiver.sender.replaceTrack(track).catch(() => {});
    }
  }

  // --- signaling ---------------------------------------------------------------

  /** Run signaling steps for one remote peer strictly one after another. */
  #chain(id, step) {
    const next = (this.chains.get(id) || Promise.resolve()).then(step).catch((error) => {
      console.warn("signaling step failed", error && error.name);
    });
    this.chains.set(id, next);
    return next;
  }

  async #makeOffer(peer) {
    if (this.peers.get(peer.id) !== peer || peer.pc.signalingState !== "stable") return;
    try {
      peer.makingOffer = true;
      await peer.pc.setLocalDescription();
      const { type, sdp } = peer.pc.localDescription;
      peer.offerSentAt = Date.now();
      this.#send(peer.id, { description: { type, sdp } });
    } finally {
      peer.makingOffer = false;
    }
  }

  #signal(message) {
    if (!this.active || !message || typeof message.from !== "string") return;
    if (this.peerId === null) {
      this.early.push(message);
      return;
    }
    this.#chain(message.from, () => this.#handle(message));
  }

  async #handle({ from, description, candidate }) {
    if (!this.active) return;
    let peer = this.peers.get(from);
    if (description && description.type === "offer") {
      const print = fingerprint(description.sdp);
      if (peer && peer.remoteFingerprint && print && print !== peer.remoteFingerprint) peer = this.#replacePeer(from, false);
      if (!peer) peer = this.member(from) ? this.#createPeer(from) : null;
      if (!peer) return;
      const collision = peer.makingOffer || peer.pc.signalingState !== "stable";
      // Our own offer unanswered for long was probably lost (sent before they listened).
      const stale = !peer.makingOffer && peer.pc.signalingState === "have-local-offer"
        && Date.now() - peer.offerSentAt > STALE_OFFER_MS;
      peer.ignoreOffer = this.#offers(from) && collision && !stale;
      if (peer.ignoreOffer) return;
      peer.answering = true;
      try {
        await peer.pc.setRemoteDescription(description);
        peer.remoteFingerprint = print;
        await peer.pc.setLocalDescription();
        const { type, sdp } = peer.pc.localDescription;
        this.#send(from, { description: { type, sdp } });
        await this.#flush(peer);
      } finally {
        peer.answering = false;
      }
    } else if (description && description.type === "answer") {
      if (!peer || peer.pc.signalingState !== "have-local-offer") return;
      const print = fingerprint(description.sdp);
      if (peer.remoteFingerprint && print && print !== peer.remoteFingerprint) {
        // They are a new page (a reload): start a fresh connection instead of patching the old.
        this.#replacePeer(from, true);
        return;
      }
      try {
        await peer.pc.setRemoteDescription(description);
        peer.remoteFingerprint = fingerprint(description.sdp);
        await this.#flush(peer);
      } catch {
        this.#replacePeer(from, true);
      }
    } else if (candidate && peer) {
      if (!peer.pc.remoteDescription) peer.pending.push(candidate);
      else await peer.pc.addIceCandidate(candidate).catch(() => {});
    }
  }

  async #flush(peer) {
    const pending = peer.pending.splice(0);
    for (const candidate of pending) await peer.pc.addIceCandidate(candidate).catch(() => {});
  }

  #send(to, body) {
    request(this.socket, "signal", this.#addressed({ to, ...body })).then((ack) => {
      if (!ack.ok) console.warn("signal refused:", ack.error);
    });
  }

  #addressed(payload) {
    return this.roomId ? { room_id: this.roomId, ...payload } : payload;
  }

  #tech(message) {
    if (!this.active || !message) return;
    this.dispatchEvent(new CustomEvent("tech", { detail: { code: message.code, member: this.member(message.from) } }));
  }

  #changed() {
    this.dispatchEvent(new Event("change"));
  }
}
