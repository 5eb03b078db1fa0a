import { useEffect, useRef, useState } from 'preact/hooks';
import type { ChatModel } from '../app/model';
import { type QrPath, safetyNumberQr } from '../app/qr';
import {
  clearVerification,
  markVerified,
  readVerification,
  reconcileVerification,
  type VerificationRecord,
} from '../app/verification';
import { useModel } from './hooks';
import { Icon } from './Icon';
import { Info } from './icons';

/**
 * A direct chat's verification: whether I marked the contact verified, held against their current
 * devices whenever anyone's devices change (a `device` push bumps `keysVersion`). Only a contact I
 * verified is checked: the check asks the server for both device lists and hashes them.
 */
export function useVerification(model: ChatModel, contactId: string | undefined) {
  const state = useModel(model);
  const me = state.me.userId;
  const [record, setRecord] = useState<VerificationRecord | undefined>(() =>
    contactId === undefined ? undefined : readVerification(me, contactId),
  );
  const [open, setOpen] = useState(false);

  useEffect(() => {
    if (contactId === undefined) return;
    const stored = readVerification(me, contactId);
    setRecord(stored);
    if (stored?.state !== 'verified') return;
    let current = true;
    model.e2ee
      .verificationWith(contactId)
      .then(({ contactDevices }) => {
        if (current) setRecord(reconcileVerification(me, contactId, contactDevices));
      })
      .catch(() => {
        // Offline: the check runs again with the next device change or the next time the chat opens.
      });
    return () => {
      current = false;
    };
  }, [contactId, state.keysVersion]);

  return {
    record,
    open,
    show: () => setOpen(true),
    hide: () => setOpen(false),
    changed: setRecord,
    dismiss: () => {
      if (contactId !== undefined) clearVerification(me, contactId);
      setRecord(undefined);
    },
  };
}

/** The ✓ beside a verified contact's name. */
export function VerifiedMark() {
  return (
    <span class="verified-mark" title="You verified the safety number in this browser">
      <span aria-hidden="true">✓</span> Verified
    </span>
  );
}

/** The header's ⓘ: opens the contact's safety number. */
export function ContactInfoButton(props: { name: string; onClick: () => void }) {
  return (
    <button
      type="button"
      class="icon contact-info"
      onClick={props.onClick}
      aria-label={`Verify safety number with ${props.name}`}
      title="Verify safety number"
    >
      <Icon icon={Info} />
    </button>
  );
}

/** In the chat, once the contact's devices changed since I verified them. */
export function SafetyNumberChanged(props: { name: string; onVerify: () => void; onDismiss: () => void }) {
  return (
    <div class="safety-changed" role="status">
      <span>
        <span aria-hidden="true">⚠ </span>
        Your safety number with {props.name} changed. Verify again.{' '}
        <button type="button" class="link" onClick={props.onVerify}>
          Verify
        </button>
      </span>
      <button type="button" class="icon" aria-label="Dismiss" onClick={props.onDismiss}>
        ×
      </button>
    </div>
  );
}

/**
 * "Verify safety number": the number as 12 groups of 5 digits, its QR code, and *Mark as verified*. The
 * number is computed again whenever a device of mine or of the contact comes or goes, as Settings does.
 */
export function VerifyDialog(props: {
  model: ChatModel;
  contactId: string;
  name: string;
  onClose: () => void;
  onChange: (record: VerificationRecord | undefined) => void;
}) {
  const { model, contactId, name } = props;
  const state = useModel(model);
  const me = state.me.userId;
  const dialog = useRef<HTMLDialogElement>(null);
  const [shown, setShown] = useState<{ number: string; contactDevices: string; qr: QrPath }>();
  const [failed, setFailed] = useState(false);
  const [record, setRecord] = useState(() => readVerification(me, contactId));

  useEffect(() => {
    dialog.current?.showModal();
  }, []);

  useEffect(() => {
    let current = true;
    void (async () => {
      try {
        const { safetyNumber, contactDevices } = await model.e2ee.verificationWith(contactId);
        const qr = await safetyNumberQr(safetyNumber);
        if (!current) return;
        setShown({ number: safetyNumber, contactDevices, qr });
        setFailed(false);
        const now = reconcileVerification(me, contactId, contactDevices);
        setRecord(now);
        props.onChange(now);
      } catch {
        if (current) setFailed(true);
      }
    })();
    return () => {
      current = false;
    };
  }, [contactId, state.keysVersion]);

  const verified = record?.state === 'verified';
  const toggle = (on: boolean) => {
    if (!shown) return;
    const next = on ? markVerified(me, contactId, shown.contactDevices) : undefined;
    if (!on) clearVerification(me, contactId);
    setRecord(next);
    props.onChange(next);
  };

  return (
    <dialog ref={dialog} class="verify" aria-labelledby="verify-title" onClose={props.onClose}>
      <header class="verify-header">
        <h2 id="verify-title">Verify safety number</h2>
        <button type="button" class="icon" aria-label="Close" onClick={() => dialog.current?.close()}>
          ×
        </button>
      </header>
      <p class="muted small">
        Compare these numbers with the ones {name} sees for you, in person or over another channel you trust.
        If they match, nobody is listening in between. A phone's camera reads the code as the same digits.
      </p>
      {shown ? (
        <div class="verify-body">
          <svg
            class="qr"
            viewBox={`0 0 ${shown.qr.size} ${shown.qr.size}`}
            role="img"
            aria-label={`QR code of your safety number with ${name}`}
          >
            <rect width={shown.qr.size} height={shown.qr.size} fill="#ffffff" />
            <path d={shown.qr.path} fill="#000000" />
          </svg>
          <p class="verify-number">
            {shown.number.split(' ').map((group, i) => (
              <span key={i}>{group} </span>
            ))}
          </p>
        </div>
      ) : (
        <p role="status">
          {failed ? 'The safety number could not be computed. Check your connection.' : 'Computing…'}
        </p>
      )}
      {record?.state === 'changed' ? (
        <p class="warning">
          {name}'s devices changed since you verified them: compare the new number before marking it verified
          again.
        </p>
      ) : null}
      <label class="check">
        <input
          type="checkbox"
          role="switch"
          aria-checked={verified}
          checked={verified}
          disabled={!shown}
          onChange={(e) => toggle(e.currentTarget.checked)}
        />
        Mark as verified
      </label>
      <p class="muted small">
        {verified
          ? `${name} shows as verified in this browser until their devices change.`
          : 'Kept in this browser only. It is cleared when their devices change.'}
      </p>
    </dialog>
  );
}
