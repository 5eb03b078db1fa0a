import type { Me, MessageEnvelope, PublicProfile } from '../../shared/protocol/resources';
import type { Membership } from '../ports/conversation-store';
import type { StoredMessage } from '../ports/message-log';
import type { Profile } from '../ports/profile-store';

/** Epoch ms → ISO 8601, as every timestamp goes on the wire. */
export const iso = (epochMs: number) => new Date(epochMs).toISOString();

/** The public part of a profile: never the email. */
/**
 * A member's marks as `viewerId` may see them: their own as they are, another member's as shown to others
 * (marks moved while a direct conversation was closed stay the member's alone).
 */
export function marksSeenBy(viewerId: string, member: Membership): { delivered: number; read: number } {
  if (member.userId === viewerId || !member.shown) return { delivered: member.delivered, read: member.read };
  return { delivered: member.shown.delivered, read: member.shown.read };
}

export function publicProfile(profile: Profile): PublicProfile {
  return { ...strangerProfile(profile), ...(profile.avatarId ? { avatarId: profile.avatarId } : {}) };
}

/**
 * What a search or a look-up by id shows of anyone: the public part without the picture's id, so that
 * nobody learns whether a stranger has one (the picture itself is only theirs to see who know them).
 */
export function strangerProfile(profile: Profile): PublicProfile {
  return { userId: profile.userId, username: profile.username, displayName: profile.displayName };
}

/** The owner's own view of their profile: the public part and the email. */
export function meView(profile: Profile): Me {
  return {
    userId: profile.userId,
    username: profile.username,
    displayName: profile.displayName,
    ...(profile.avatarId ? { avatarId: profile.avatarId } : {}),
    email: profile.email,
    createdAt: iso(profile.createdAt),
  };
}

/** A profile for an id whose profile is gone or was never made (kept out of lists by callers when they can). */
export function unknownProfile(userId: string): PublicProfile {
  return { userId, username: 'unknown', displayName: 'Unknown user' };
}

/** Profiles by id, with a placeholder for any id without one. */
export function profilesById(profiles: readonly Profile[]) {
  const byId = new Map(profiles.map((profile) => [profile.userId, publicProfile(profile)]));
  return (userId: string) => byId.get(userId) ?? unknownProfile(userId);
}

/** A stored message as members see it: a deleted one has no body. */
export function envelope(message: StoredMessage): MessageEnvelope {
  return {
    conversationId: message.conversationId,
    seq: message.seq,
    messageId: message.messageId,
    senderId: message.senderId,
    sentAt: iso(message.sentAt),
    kind: message.kind,
    ...(message.refSeq !== undefined ? { refSeq: message.refSeq } : {}),
    ...(message.body !== undefined && message.deletedAt === undefined
      ? { body: Buffer.from(message.body).toString('base64') }
      : {}),
    ...(message.deletedAt !== undefined ? { deletedAt: iso(message.deletedAt) } : {}),
  };
}
