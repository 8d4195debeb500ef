// The call: a WebRTC mesh of up to 4 devices, as docs/protocol.md ("The call") describes.
//
// - `call_join` answers with our peer_id, the ICE servers and the roster (call-roster.js).
// - Each other member gets a peer connection (call-peers.js); for each pair, the member
//   whose peer_id sorts first offers and the other answers (call-negotiation.js).
// - After a reconnect (or when a member comes back from `reconnecting`), the offering side
//   restarts ICE.
// - While we or a member are paused, our tracks are not sent to them (call-tracks.js).
// The server relays signaling only; nothing here is stored or recorded.

import { request } from "./socket.js";
import { Negotiation } from "./call-negotiation.js";
import { PeerMesh } from "./call-peers.js";
import { Roster } from "./call-roster.js";
import { LocalTracks } from "./call-tracks.js";

export class Call extends EventTarget {
  #socket;
  #roomId;
  #roster = new Roster();
  #tracks;
  #peers;
  #negotiation;
  #active = false;
  #joining = null;
  /** `signal`s that came before `call_join` told us who we are. */
  #early = [];
  #listeners = {
    roster: (roster) => this.#onRoster(roster),
    signal: (message) => this.#signal(message),
    tech_message: (message) => this.#tech(message),
    connect: () => {
      if (this.#active) this.join();
    },
  };

  /**
   * @param {object} options
   * @param {import("socket.io-client").Socket} options.socket
   * @param {MediaStream} options.localStream
   * @param {string|null} [options.roomId] the room (clinicians); guests have one call
   */
  constructor({ socket, localStream, roomId = null }) {
    super();
    this.#socket = socket;
    this.#roomId = roomId;
    this.#tracks = new LocalTracks(localStream);
    const send = (to, body) => this.#send(to, body);
    const isActive = () => this.#active;
    this.#peers = new PeerMesh({
      roster: this.#roster,
      tracks: this.#tracks,
      send,
      offer: (peer) => this.#negotiation.offer(peer),
      changed: () => this.#changed(),
      isActive,
    });
    this.#negotiation = new Negotiation({ peers: this.#peers, roster: this.#roster, send, isActive });
  }

  /** Whether we are in the call (from `join` until `leave`). */
  get active() {
    return this.#active;
  }

  /** Our peer_id in the call, or null before `call_join` has answered. */
  get peerId() {
    return this.#roster.peerId;
  }

  /** Everyone in the call, ourselves included. */
  get members() {
    return this.#roster.members;
  }

  /** Join (or, after a reconnect, rejoin) the call; resolves the server's acknowledgement. */
  join() {
    if (this.#joining) return this.#joining;
    this.#joining = this.#join().finally(() => {
      this.#joining = null;
    });
    return this.#joining;
  }

  async #join() {
    if (!this.#active) {
      this.#active = true;
      this.#listen(true);
    }
    const ack = await request(this.#socket, "call_join", this.#roomId ? { room_id: this.#roomId } : undefined);
    if (!this.#active) return ack;
    if (!ack.ok) {
      this.dispatchEvent(new CustomEvent("error", { detail: ack }));
      return ack;
    }
    const rejoin = this.#roster.peerId !== null;
    if (rejoin && ack.peer_id !== this.#roster.peerId) this.#closePeers();
    this.#roster.peerId = ack.peer_id;
    this.#peers.setIceServers(Array.isArray(ack.ice_servers) ? ack.ice_servers : []);
    this.#applyRoster(ack.roster || { members: [] }, rejoin);
    const early = this.#early.splice(0);
    for (const message of early) this.#signal(message);
    return ack;
  }

  /** Leave the call: close every peer connection; clinicians also tell the server. */
  async leave() {
    if (!this.#active) return;
    this.#active = false;
    this.#listen(false);
    this.#closePeers();
    this.#roster.clear();
    if (this.#roomId) await request(this.#socket, "call_leave", { room_id: this.#roomId });
    this.#changed();
  }

  /** Our own pause: stop sending to everyone (the server has paused our visit). */
  setPaused(paused) {
    this.#tracks.setPaused(paused);
    this.#peers.sendTracksToAll();
  }

  /** Feed a `signal` that arrived before this call listened (the page buffered it). */
  receive(message) {
    this.#signal(message);
  }

  setMuted(muted) {
    this.#tracks.setMuted(muted);
  }

  setCameraOff(off) {
    this.#tracks.setCameraOff(off);
  }

  sendTech(code) {
    return request(this.#socket, "tech_message", this.#addressed({ code }));
  }

  /** Everyone else in the call, with their peer connection state and remote stream. */
  others() {
    return this.#roster.others().map((member) => {
      const peer = this.#peers.get(member.peer_id);
      return { member, stream: peer ? peer.stream : null, state: peer ? peer.pc.connectionState : "new" };
    });
  }

  self() {
    return this.#roster.self();
  }

  member(peerId) {
    return this.#roster.member(peerId);
  }

  #listen(on) {
    for (const [event, handler] of Object.entries(this.#listeners)) {
      if (on) this.#socket.on(event, handler);
      else this.#socket.off(event, handler);
    }
  }

  #onRoster(roster) {
    if (!this.#active || !roster) return;
    if (this.#roomId && roster.room_id && roster.room_id !== this.#roomId) return;
    if (this.#roster.peerId === null) return; // the call_join acknowledgement carries a fresher one
    this.#applyRoster(roster, false);
  }

  #applyRoster(roster, rejoin) {
    this.#peers.follow(this.#roster.update(roster.members), rejoin);
    this.#changed();
  }

  #closePeers() {
    this.#peers.closeAll();
    this.#negotiation.reset();
  }

  #signal(message) {
    if (!this.#active || !message || typeof message.from !== "string") return;
    if (this.#roster.peerId === null) {
      this.#early.push(message);
      return;
    }
    this.#negotiation.receive(message);
  }

  #send(to, body) {
    request(this.#socket, "signal", this.#addressed({ to, ...body })).then((ack) => {
      if (!ack.ok) console.warn("signal refused:", ack.error);
    });
  }

  #addressed(payload) {
    return this.#roomId ? { room_id: this.#roomId, ...payload } : payload;
  }

  #tech(message) {
    if (!this.#active || !message) return;
    this.dispatchEvent(new CustomEvent("tech", { detail: { code: message.code, member: this.member(message.from) } }));
  }

  #changed() {
    this.dispatchEvent(new Event("change"));
  }
}
