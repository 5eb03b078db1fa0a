import { useEffect, useRef, useState } from 'preact/hooks';
import type { AttachmentDescriptor } from '../../../shared/e2ee/attachment-payload';
import { MAX_ATTACHMENT_FILE_SIZE_IN_BYTES } from '../../../shared/protocol/limits';
import { AUTO_DOWNLOAD_UP_TO_BYTES, kindOf, MAX_FILE_SIZE_IN_WORDS, sizeInWords } from '../app/attachments';
import type { ChatModel, ModelState, OutboxItem, Transfer } from '../app/model';
import { measureText } from '../app/text-limit';
import { TextCounter } from './TextCounter';

/** A file picked, dropped or pasted, waiting in the composer for its caption and Send. */
export interface StagedFile {
  readonly id: string;
  readonly file: File;
  /** An object URL to preview an image with, revoked when it leaves the tray. */
  readonly preview?: string;
  caption: string;
}

/** Puts files in the tray: images get a preview; a file over the limit is shown refused, never uploaded. */
export function stage(files: Iterable<File>): StagedFile[] {
  return [...files].map((file) => ({
    id: crypto.randomUUID(),
    file,
    caption: '',
    ...(file.type.startsWith('image/') && file.size <= MAX_ATTACHMENT_FILE_SIZE_IN_BYTES
      ? { preview: URL.createObjectURL(file) }
      : {}),
  }));
}

export const tooLarge = (file: File) => file.size > MAX_ATTACHMENT_FILE_SIZE_IN_BYTES;

/** "1:07": a duration as players show it. */
export function duration(ms: number | undefined): string {
  if (ms === undefined) return '';
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

const percent = (transfer: Transfer | undefined) =>
  transfer && transfer.total > 0 ? Math.min(100, Math.round((transfer.done / transfer.total) * 100)) : 0;

/** A file type's icon: enough to tell a document from an archive or a sound at a glance. */
function iconOf(type: string, name: string): string {
  if (type === 'application/pdf' || name.endsWith('.pdf')) return '📕';
  if (type.startsWith('audio/')) return '🎵';
  if (type.startsWith('video/')) return '🎬';
  if (type.startsWith('image/')) return '🖼️';
  if (/zip|tar|gzip|7z|rar|compressed/.test(type)) return '🗜️';
  if (type.startsWith('text/') || /word|document|sheet|presentation|excel|powerpoint/.test(type)) return '📄';
  return '📎';
}

/** The tray above the composer: each file with its preview, its size and its own caption. */
export function StagedTray(props: {
  files: StagedFile[];
  onCaption: (id: string, caption: string) => void;
  onRemove: (id: string) => void;
}) {
  return (
    <ul class="staged" aria-label="Files to send">
      {props.files.map((staged) => {
        const refused = tooLarge(staged.file);
        const caption = measureText(staged.caption.trim());
        return (
          <li key={staged.id} class={`staged-file ${refused ? 'refused' : ''}`}>
            {staged.preview ? (
              <img class="staged-preview" src={staged.preview} alt="" />
            ) : (
              <span class="staged-icon" aria-hidden="true">
                {iconOf(staged.file.type, staged.file.name)}
              </span>
            )}
            <div class="staged-body">
              <span class="file-name">{staged.file.name}</span>
              <span class="small muted">{sizeInWords(staged.file.size)}</span>
              {refused ? (
                <span class="small danger" role="alert">
                  Too large: files up to {MAX_FILE_SIZE_IN_WORDS} can be sent.
                </span>
              ) : null}
              {!refused &&
              /^(image|video|audio)\//.test(staged.file.type) &&
              kindOf(staged.file) === 'file' ? (
                <span class="small muted">This browser cannot show it: it goes as a file.</span>
              ) : null}
              {refused ? null : (
                <>
                  <label class="sr-only" for={`caption-${staged.id}`}>
                    Caption for {staged.file.name}
                  </label>
                  <input
                    id={`caption-${staged.id}`}
                    placeholder="Add a caption"
                    value={staged.caption}
                    aria-describedby={caption.shown ? `caption-count-${staged.id}` : undefined}
                    aria-invalid={caption.over}
                    onInput={(e) => props.onCaption(staged.id, e.currentTarget.value)}
                  />
                  <TextCounter id={`caption-count-${staged.id}`} measure={caption} />
                </>
              )}
            </div>
            <button
              type="button"
              class="icon"
              aria-label={`Remove ${staged.file.name}`}
              onClick={() => props.onRemove(staged.id)}
            >
              ✕
            </button>
          </li>
        );
      })}
    </ul>
  );
}

/** A queued file as its message shows it while it waits: the picture picked, or the file's card. */
export function QueuedFilePreview(props: { model: ChatModel; item: OutboxItem }) {
  const attachment = props.item.attachment;
  if (!attachment) return null;
  const local = props.model.localFileOf(props.item.messageId);
  const { facts } = attachment;
  return facts.kind === 'image' && local ? (
    <img class="media-preview" src={local} alt={facts.name} style={boxOf(attachment.facts)} />
  ) : (
    <span class="file-card-inline">
      {iconOf(facts.type, facts.name)} {facts.name} · {sizeInWords(facts.plainSize)}
    </span>
  );
}

/** An upload's progress bar and percentage. */
export function UploadProgress(props: { name: string; transfer: Transfer }) {
  return (
    <>
      <progress max={100} value={percent(props.transfer)} aria-label={`Uploading ${props.name}`} /> Uploading{' '}
      {percent(props.transfer)}%
    </>
  );
}

/** A file being encrypted, before it joins the outbox. */
export function PreparingFile(props: { name: string; transfer: Transfer | undefined }) {
  return (
    <li class="message own pending">
      <div class="bubble">
        <span class="file-card-inline">🔒 {props.name}</span>
        <span class="small">
          <progress max={100} value={percent(props.transfer)} aria-label={`Encrypting ${props.name}`} />{' '}
          Encrypting…
        </span>
      </div>
    </li>
  );
}

/** The box a picture takes before it arrives, so the list does not jump when it does. */
function boxOf(facts: { width?: number; height?: number }): Record<string, string> {
  if (!facts.width || !facts.height) return {};
  const width = Math.min(320, facts.width);
  return { width: `${width}px`, aspectRatio: `${facts.width} / ${facts.height}` };
}

/** One attachment of a message: a picture or video inline, a voice note or sound with a player, else a file card. */
export function AttachmentView(props: {
  model: ChatModel;
  state: ModelState;
  conversationId: string;
  attachment: AttachmentDescriptor;
  onOpen: (attachment: AttachmentDescriptor) => void;
}) {
  const { model, state, attachment } = props;
  const url = state.files[attachment.id];
  const error = state.fileErrors[attachment.id];
  const transfer = state.transfers[attachment.id];
  const fetchIt = () => model.fetchFile(props.conversationId, attachment);
  // A sound plays on its own only when the person pressed play and it had to be downloaded first.
  const [played, setPlayed] = useState(false);

  useEffect(() => {
    // Pictures download on their own when shown, as in every chat app; larger files wait for a click.
    if (attachment.kind === 'image' && !url && !error && attachment.size <= AUTO_DOWNLOAD_UP_TO_BYTES)
      void fetchIt();
  }, [attachment.id]);

  const status = error ? (
    <span class="small" role="alert">
      {error}{' '}
      {error.includes('Try again') ? (
        <button type="button" class="link" onClick={() => void fetchIt()}>
          Retry
        </button>
      ) : null}
    </span>
  ) : transfer ? (
    <span class="small">
      <progress max={100} value={percent(transfer)} aria-label={`Downloading ${attachment.name}`} />{' '}
      {percent(transfer)}%
    </span>
  ) : null;

  if (attachment.kind === 'image' || attachment.kind === 'video') {
    const thumbnail = attachment.thumbnail ? `data:image/jpeg;base64,${attachment.thumbnail}` : undefined;
    const label = `${attachment.kind === 'image' ? 'Photo' : 'Video'} ${attachment.name}, ${sizeInWords(attachment.plainSize)}. Open`;
    return (
      <div class="attachment">
        <button
          type="button"
          class="media"
          style={boxOf(attachment)}
          aria-label={label}
          onClick={async () => {
            if (!url) await fetchIt();
            props.onOpen(attachment);
          }}
        >
          {url && attachment.kind === 'image' ? (
            <img src={url} alt={attachment.name} />
          ) : thumbnail ? (
            <img class="blurred" src={thumbnail} alt="" />
          ) : (
            <span class="media-placeholder" aria-hidden="true">
              {attachment.kind === 'image' ? '🖼️' : '🎬'}
            </span>
          )}
          {attachment.kind === 'video' ? (
            <span class="play" aria-hidden="true">
              ▶
            </span>
          ) : null}
        </button>
        {status}
      </div>
    );
  }

  if (attachment.kind === 'voice' || attachment.kind === 'audio') {
    return (
      <div class="attachment audio">
        {url ? (
          <span class="small">
            {attachment.kind === 'voice' ? '🎤 Voice note' : `🎵 ${attachment.name}`} ·{' '}
            {duration(attachment.durationMs)}
          </span>
        ) : null}
        {url ? (
          // biome-ignore lint/a11y/useMediaCaption: a voice note has no captions to offer
          <audio
            controls
            src={url}
            autoPlay={played}
            aria-label={attachment.kind === 'voice' ? 'Voice note' : attachment.name}
          />
        ) : (
          <button
            type="button"
            class="play-button"
            onClick={() => {
              setPlayed(true);
              void fetchIt();
            }}
            aria-label={`Play ${attachment.kind === 'voice' ? 'voice note' : attachment.name}`}
          >
            ▶ {attachment.kind === 'voice' ? 'Voice note' : attachment.name} ·{' '}
            {duration(attachment.durationMs)}
          </button>
        )}
        {status}
      </div>
    );
  }

  return (
    <div class="attachment">
      <button
        type="button"
        class="file-card"
        aria-label={`Download ${attachment.name}, ${sizeInWords(attachment.plainSize)}`}
        onClick={async () => {
          const got = url ?? (await fetchIt());
          if (got) save(got, attachment.name);
        }}
      >
        <span class="file-icon" aria-hidden="true">
          {iconOf(attachment.type, attachment.name)}
        </span>
        <span class="file-body">
          <span class="file-name">{attachment.name}</span>
          <span class="small muted">
            {sizeInWords(attachment.plainSize)} · {extensionOf(attachment.name)}
          </span>
        </span>
      </button>
      {status}
    </div>
  );
}

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toUpperCase() : 'File';
}

/** Saves a downloaded file under its original name. */
function save(url: string, name: string) {
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
}

/** A picture or video full size over the chat, with Save and Close (Esc or a click outside). */
export function Viewer(props: { state: ModelState; attachment: AttachmentDescriptor; onClose: () => void }) {
  const { attachment } = props;
  const url = props.state.files[attachment.id];
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    close.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') props.onClose();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: Esc closes it, from the document's listener
    <div class="viewer" role="dialog" aria-modal="true" aria-label={attachment.name} onClick={props.onClose}>
      {/* biome-ignore lint/a11y/noStaticElementInteractions lint/a11y/useKeyWithClickEvents: only stops a click inside from closing it */}
      <div class="viewer-frame" onClick={(e) => e.stopPropagation()}>
        <div class="viewer-bar">
          <span class="file-name">{attachment.name}</span>
          {url ? (
            <a class="button" href={url} download={attachment.name}>
              Save
            </a>
          ) : null}
          <button type="button" ref={close} onClick={props.onClose}>
            Close
          </button>
        </div>
        {!url ? (
          <p class="muted">Downloading…</p>
        ) : attachment.kind === 'video' ? (
          // biome-ignore lint/a11y/useMediaCaption: the sender's video has no captions to offer
          <video controls autoPlay src={url} />
        ) : (
          <img src={url} alt={attachment.name} />
        )}
      </div>
    </div>
  );
}

/**
 * Records a voice note: starts on the first click (the browser asks for the microphone then, never
 * before), shows the time, and sends or cancels. Opus in WebM, as Chromium and Firefox record it.
 */
export function VoiceRecorder(props: {
  onSend: (file: File, durationMs: number) => void;
  onCancel: () => void;
  onError: (message: string) => void;
}) {
  const [elapsed, setElapsed] = useState(0);
  const recorder = useRef<MediaRecorder | undefined>(undefined);
  const chunks = useRef<Blob[]>([]);
  const started = useRef(0);
  const sending = useRef(false);

  useEffect(() => {
    let stream: MediaStream | undefined;
    let timer: ReturnType<typeof setInterval> | undefined;
    void (async () => {
      try {
        stream = await navigator.mediaDevices.getUserMedia({ audio: true });
        const type = MediaRecorder.isTypeSupported('audio/webm;codecs=opus') ? 'audio/webm;codecs=opus' : '';
        const media = new MediaRecorder(stream, type ? { mimeType: type } : {});
        media.ondataavailable = (e) => chunks.current.push(e.data);
        media.onstop = () => {
          for (const track of stream?.getTracks() ?? []) track.stop();
          if (!sending.current) return;
          const durationMs = Date.now() - started.current;
          const mime = media.mimeType || 'audio/webm';
          const stamp = new Date().toISOString().slice(0, 19).replace('T', ' ').replace(/:/g, '.');
          props.onSend(new File(chunks.current, `Voice note ${stamp}.webm`, { type: mime }), durationMs);
        };
        recorder.current = media;
        started.current = Date.now();
        media.start(250);
        timer = setInterval(() => setElapsed(Date.now() - started.current), 250);
      } catch {
        props.onError('The microphone is not available: allow it for this site to record a voice note.');
      }
    })();
    return () => {
      clearInterval(timer);
      if (recorder.current?.state === 'recording') recorder.current.stop();
      for (const track of stream?.getTracks() ?? []) track.stop();
    };
  }, []);

  return (
    <fieldset class="recorder" aria-label="Recording a voice note">
      <span class="recording-dot" aria-hidden="true" />
      <span aria-live="off">Recording {duration(elapsed)}</span>
      <button type="button" onClick={props.onCancel}>
        Cancel
      </button>
      <button
        type="button"
        class="primary"
        onClick={() => {
          sending.current = true;
          recorder.current?.stop();
        }}
      >
        Send voice note
      </button>
    </fieldset>
  );
}
