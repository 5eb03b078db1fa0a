import { useMemo } from 'preact/hooks';
import { type Block, type Inline, isEmojiOnly, parseRichText } from '../app/rich-text';

/**
 * A message's text with its formatting and links, built as elements (never as HTML). Links open in a new
 * tab with neither the opener nor the referrer; one to three emoji alone show large.
 */
export function RichText(props: { text: string; class?: string }) {
  const blocks = useMemo(() => parseRichText(props.text), [props.text]);
  const large = useMemo(() => isEmojiOnly(props.text), [props.text]);
  return (
    <div class={`text ${large ? 'emoji-only' : ''} ${props.class ?? ''}`}>
      {blocks.map((block, i) => (
        <BlockView key={i} block={block} />
      ))}
    </div>
  );
}

function BlockView(props: { block: Block }) {
  const { block } = props;
  if (block.kind === 'code')
    return (
      <pre>
        <code>{block.text}</code>
      </pre>
    );
  const children = <Inlines nodes={block.children} />;
  return block.kind === 'quote' ? <blockquote>{children}</blockquote> : <p>{children}</p>;
}

function Inlines(props: { nodes: readonly Inline[] }) {
  return (
    <>
      {props.nodes.map((node, i) => {
        switch (node.kind) {
          case 'text':
            return node.text;
          case 'code':
            return <code key={i}>{node.text}</code>;
          case 'link':
            return (
              <a key={i} href={node.href} target="_blank" rel="noopener noreferrer">
                {node.text}
              </a>
            );
          case 'bold':
            return (
              <strong key={i}>
                <Inlines nodes={node.children} />
              </strong>
            );
          case 'italic':
            return (
              <em key={i}>
                <Inlines nodes={node.children} />
              </em>
            );
          case 'struck':
            return (
              <s key={i}>
                <Inlines nodes={node.children} />
              </s>
            );
          default:
            return null;
        }
      })}
    </>
  );
}
