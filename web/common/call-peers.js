// The call's peer connections, one per other member: made as members arrive, watched until
// they connect, restarted (ICE) or replaced by a fresh one when they do not, closed as
// members leave. What goes over them is call-negotiation.js's and call-tracks.js's.

const FALLBACK_OFFER_MS = 1500;
const CONNECT_WATCHDOG_MS = 10000;

/**
 * @typedef {object} Peer one other member's connection and its negotiation state
 * @property {string} id their peer_id
 * @property {RTCPeerConnection} pc
 * @property {MediaStream|null} stream what they send us
 * @property {RTCIceCandidateInit[]} pending candidates that came before their description
 * @property {string|null} remoteFingerprint their DTLS fingerprint: a new one is a new page
 * @property {boolean} makingOffer
 * @property {boolean} ignoreOffer
 * @property {boolean} answering
 * @property {number[]} timers the fallback offer and the watchdog
 * @property {number} offerSentAt
 */

export class PeerMesh {
  /** @type {Map<string, Peer>} */
  #peers = new Map();
  #iceServers = [];
  #roster;
  #tracks;
  #send;
  #offer;
  #changed;
  #isActive;

  /**
   * @param {object} options
   * @param {import("./call-roster.js").Roster} options.roster
   * @param {import("./call-tracks.js").LocalTracks} options.tracks
   * @param {(to: string, body: object) => void} options.send a signal to one member
   * @param {(peer: Peer) => void} options.offer queue an offer on a connection
   * @param {() => void} options.changed something a screen shows has changed
   * @param {() => boolean} options.isActive whether the call is still on
   */
  constructor({ roster, tracks, send, offer, changed, isActive }) {
    this.#roster = roster;
    this.#tracks = tracks;
    this.#send = send;
    this.#offer = offer;
    this.#changed = changed;
    this.#isActive = isActive;
  }

  /** The ICE servers new connections use (from the `call_join` acknowledgement). */
  setIceServers(iceServers) {
    this.#iceServers = iceServers;
  }

  get(id) {
    return this.#peers.get(id);
  }

  /**
   * Follow a new roster (`Roster.update`'s answer): close the connections of members who
   * left, make one for each new member, restart those who came back (or all, on `rejoin`).
   */
  follow(others, rejoin) {
    const present = new Set(others.map(({ member }) => member.peer_id));
    for (const [id, peer] of this.#peers) {
      if (!present.has(id)) {
        this.#close(peer);
        this.#peers.delete(id);
      }
    }
    for (const { member, cameBack } of others) {
      const peer = this.#peers.get(member.peer_id);
      if (!peer) this.create(member.peer_id);
      else if (rejoin || cameBack) this.#restart(peer);
      else this.#sendTracks(peer);
    }
  }

  /** Send our tracks to everyone who should have them now (after a pause or its end). */
  sendTracksToAll() {
    for (const peer of this.#peers.values()) this.#sendTracks(peer);
  }

  create(id) {
    const pc = new RTCPeerConnection({ iceServers: this.#iceServers, bundlePolicy: "max-bundle" });
    const peer = {
      id, pc, stream: null, pending: [], remoteFingerprint: null,
      makingOffer: false, ignoreOffer: false, answering: false, timers: [], offerSentAt: 0,
    };
    this.#tracks.attach(pc, this.#roster.offersTo(id));
    this.#listen(peer);
    this.#peers.set(id, peer);
    this.#sendTracks(peer);
    this.#watch(peer);
    return peer;
  }

  /** A fresh peer connection for `id`; `offer` lets the answering side offer at once. */
  replace(id, offer) {
    const old = this.#peers.get(id);
    if (old) this.#close(old);
    this.#peers.delete(id);
    if (!this.#isActive() || !this.#roster.member(id)) return null;
    const peer = this.create(id);
    if (offer && !this.#roster.offersTo(id)) this.#offer(peer);
    this.#changed();
    return peer;
  }

  closeAll() {
    for (const peer of this.#peers.values()) this.#close(peer);
    this.#peers.clear();
  }

  #listen(peer) {
    const { id, pc } = peer;
    pc.onicecandidate = ({ candidate }) => {
      if (!candidate || !candidate.candidate || this.#peers.get(id) !== peer) return;
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
      if (this.#peers.get(id) !== peer) return;
      if (pc.connectionState === "connected") this.#clearTimers(peer);
      if (pc.connectionState === "failed") this.#restart(peer);
      this.#changed();
    };
    pc.onnegotiationneeded = () => {
      if (this.#roster.offersTo(id) && !peer.answering) this.#offer(peer);
    };
  }

  /** If nothing connects in time, try again: a fallback offer, then a fresh connection. */
  #watch(peer) {
    this.#clearTimers(peer);
    if (!this.#roster.offersTo(peer.id)) {
      peer.timers.push(setTimeout(() => {
        if (this.#peers.get(peer.id) === peer && !peer.pc.remoteDescription) this.#offer(peer);
      }, FALLBACK_OFFER_MS));
    }
    peer.timers.push(setTimeout(() => {
      if (this.#peers.get(peer.id) === peer && peer.pc.connectionState !== "connected") {
        this.replace(peer.id, true);
      }
    }, CONNECT_WATCHDOG_MS));
  }

  #clearTimers(peer) {
    for (const timer of peer.timers) clearTimeout(timer);
    peer.timers = [];
  }

  #restart(peer) {
    if (this.#roster.offersTo(peer.id)) peer.pc.restartIce();
    this.#watch(peer);
  }

  #close(peer) {
    this.#clearTimers(peer);
    peer.pc.onicecandidate = peer.pc.ontrack = peer.pc.onconnectionstatechange = peer.pc.onnegotiationneeded = null;
    peer.pc.close();
  }

  #sendTracks(peer) {
    this.#tracks.sendTo(peer.pc, this.#roster.isPaused(peer.id));
  }
}
