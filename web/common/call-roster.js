// Who is in the call (the server's roster) and which of them we are: the call's members,
// whose media goes where, and which side of each pair offers.

export class Roster {
  /** Our peer_id in the call, once `call_join` has answered; null before and after. */
  peerId = null;
  /** Every member, ourselves included, as the server last listed them. */
  members = [];

  /**
   * Take a new member list. Returns every other member with `cameBack`: whether they were
   * `reconnecting` in the list before and are not now.
   */
  update(members) {
    const before = new Map(this.members.map((member) => [member.peer_id, member]));
    this.members = Array.isArray(members) ? members : [];
    return this.others().map((member) => {
      const previous = before.get(member.peer_id);
      return { member, cameBack: Boolean(previous && previous.reconnecting && !member.reconnecting) };
    });
  }

  /** Forget the call: no members, no peer_id. */
  clear() {
    this.members = [];
    this.peerId = null;
  }

  others() {
    return this.members.filter((member) => member.peer_id !== this.peerId);
  }

  self() {
    return this.members.find((member) => member.peer_id === this.peerId) || null;
  }

  member(peerId) {
    return this.members.find((member) => member.peer_id === peerId) || null;
  }

  /** Whether we offer to `peerId`: of each pair, the member whose peer_id sorts first offers. */
  offersTo(peerId) {
    return this.peerId !== null && this.peerId < peerId;
  }

  /** Whether `peerId` is paused (we then send them nothing). */
  isPaused(peerId) {
    const member = this.member(peerId);
    return Boolean(member && member.state === "paused");
  }
}
