import type { TextMeasure } from '../app/text-limit';

/**
 * How long a text is, shown near the limit and in the error colour past it: the reason Send is disabled,
 * so Send names it (`aria-describedby`). Past the limit it is an alert, so a screen reader hears it once.
 */
export function TextCounter(props: { id: string; measure: TextMeasure }) {
  const { measure } = props;
  if (!measure.shown) return null;
  return (
    <p
      id={props.id}
      class={`text-counter small ${measure.over ? 'over' : 'muted'}`}
      role={measure.over ? 'alert' : undefined}
    >
      {measure.words}
    </p>
  );
}
