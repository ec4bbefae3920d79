import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import type { Problem } from '../contract-types';
import { Field } from './field';
import { ProblemAlert } from './problem-alert';

/** Wait after the last key before searching: one call per pause in typing, not one per key. */
const DEBOUNCE_MS = 250;

export type SearchResult<Item> = { items: Item[] } | { problem: Problem };

interface ComboboxProps<Item> {
  label: string;
  hint?: string | undefined;
  error?: string | undefined;
  /** The items matching a text ('' for the first ones); only the newest search's answer is shown. */
  search(text: string): Promise<SearchResult<Item>>;
  itemKey(item: Item): number;
  /** What the box shows once the item is chosen. */
  itemText(item: Item): string;
  /** An option in the list (itemText when absent). */
  renderItem?(item: Item): ReactNode;
  selected: Item | undefined;
  onSelect(item: Item): void;
  /** The text no longer names the chosen item (the operator typed over it): nothing is chosen now. */
  onClear(): void;
  /** Said when nothing matches, e.g. "No customers match". */
  noMatches: string;
}

/**
 * A type-ahead picker over a search API, after the WAI-ARIA APG "combobox with listbox
 * popup" pattern: typing searches (debounced) and opens the list, ArrowDown/ArrowUp move
 * the active option (aria-activedescendant, so focus stays in the box), Enter chooses it,
 * Escape closes the list (or clears the text when it is closed), Tab leaves. Our own (~1.3 kB
 * gzip) rather than a library: downshift's useCombobox costs several times that in a
 * console of ~80 kB for the same keyboard model, and the search, debounce and stale-answer
 * handling would be ours either way.
 */
export function Combobox<Item>(props: ComboboxProps<Item>) {
  const { search, itemKey, itemText, selected } = props;
  const listboxId = useId();
  const [text, setText] = useState(selected ? itemText(selected) : '');
  const [isOpen, setOpen] = useState(false);
  const [items, setItems] = useState<Item[]>([]);
  const [active, setActive] = useState(-1);
  const [status, setStatus] = useState<'idle' | 'searching' | 'ready'>('idle');
  const [problem, setProblem] = useState<Problem>();
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const latestSearch = useRef(0);
  const optionId = (item: Item) => `${listboxId}-option-${itemKey(item)}`;

  // A chosen item refreshed from outside (its stock after an order) shows as it is now.
  const selectedText = selected ? itemText(selected) : undefined;
  useEffect(() => {
    if (selectedText !== undefined) setText(selectedText);
  }, [selectedText]);

  useEffect(() => () => clearTimeout(timer.current), []);

  async function runSearch(query: string) {
    clearTimeout(timer.current);
    const call = (latestSearch.current += 1);
    setStatus('searching');
    const result = await search(query.trim());
    if (call !== latestSearch.current) return;
    if ('items' in result) {
      setItems(result.items);
      setProblem(undefined);
    } else {
      setItems([]);
      setProblem(result.problem);
    }
    setActive(-1);
    setStatus('ready');
  }

  function typed(value: string) {
    if (selected && value !== itemText(selected)) props.onClear();
    setText(value);
    setOpen(true);
    setActive(-1);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => void runSearch(value), DEBOUNCE_MS);
  }

  function open() {
    setOpen(true);
    // The text as chosen (a product's full label) matches nothing: list the first ones then.
    void runSearch(selected && text === itemText(selected) ? '' : text);
  }

  function choose(item: Item) {
    props.onSelect(item);
    setText(itemText(item));
    setOpen(false);
    setActive(-1);
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    const count = items.length;
    switch (event.key) {
      case 'ArrowDown':
        event.preventDefault();
        if (!isOpen) open();
        else if (count > 0) setActive((active + 1) % count);
        break;
      case 'ArrowUp':
        event.preventDefault();
        if (!isOpen) open();
        else if (count > 0) setActive(active <= 0 ? count - 1 : active - 1);
        break;
      case 'Enter':
        // With the list open, Enter is about the list: it never submits the form around it.
        if (isOpen) event.preventDefault();
        if (isOpen && items[active]) choose(items[active]);
        break;
      case 'Escape':
        if (isOpen) {
          event.preventDefault();
          setOpen(false);
          setActive(-1);
        } else if (text !== '') {
          event.preventDefault();
          typed('');
          setOpen(false);
        }
        break;
      case 'Tab':
        setOpen(false);
        break;
    }
  }

  const activeItem = isOpen ? items[active] : undefined;
  useEffect(() => {
    if (activeItem) document.getElementById(optionId(activeItem))?.scrollIntoView({ block: 'nearest' });
  });

  const isListShown = isOpen && items.length > 0;
  const announcement =
    !isOpen || status === 'idle'
      ? ''
      : status === 'searching'
        ? 'Searching…'
        : problem
          ? ''
          : items.length === 0
            ? `${props.noMatches}.`
            : `${items.length} ${items.length === 1 ? 'result' : 'results'}: use the arrow keys to choose.`;
  return (
    <div className="combobox">
      <Field label={props.label} hint={props.hint} error={props.error}>
        {(control) => (
          // The list opens right under the box, over the hint below it.
          <div className="combobox-control">
            <input
              {...control}
              type="text"
              role="combobox"
              autoComplete="off"
              spellCheck={false}
              aria-autocomplete="list"
              aria-expanded={isListShown}
              aria-controls={listboxId}
              aria-activedescendant={activeItem ? optionId(activeItem) : undefined}
              value={text}
              onChange={(event) => typed(event.target.value)}
              onKeyDown={onKeyDown}
              onBlur={() => setOpen(false)}
              onClick={() => (isOpen ? setOpen(false) : open())}
            />
            <ul
              id={listboxId}
              role="listbox"
              aria-label={props.label}
              className="combobox-list"
              hidden={!isListShown}
            >
              {items.map((item, index) => (
                <li
                  key={itemKey(item)}
                  id={optionId(item)}
                  role="option"
                  aria-selected={index === active}
                  className="combobox-option"
                  // Keeps the focus in the box, so choosing with the mouse does not close the list first.
                  onMouseDown={(event) => event.preventDefault()}
                  onClick={() => choose(item)}
                >
                  {props.renderItem ? props.renderItem(item) : itemText(item)}
                </li>
              ))}
            </ul>
          </div>
        )}
      </Field>
      <p className="visually-hidden" role="status">
        {announcement}
      </p>
      {isOpen && status === 'ready' && !problem && items.length === 0 && (
        <p className="combobox-empty">{props.noMatches}.</p>
      )}
      {problem && <ProblemAlert problem={problem} onRetry={() => void runSearch(text)} />}
    </div>
  );
}
