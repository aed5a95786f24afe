/**
 * {@link InMemoryEventBus}: in-process publish/subscribe, at-most-once.
 */

import { type EventBus, type Logger, NOOP_LOGGER, type Subscription } from '@dagstack/plugin-api';
import { ResourceError } from './errors.js';

/** A subscriber's handler. @since 0.1.0 */
export type EventHandler = (payload: unknown, topic: string) => void | Promise<void>;

/** Subscribing to this topic receives every topic. @since 0.1.0 */
export const WILDCARD_TOPIC = '*';

/** Options of {@link InMemoryEventBus}. @since 0.1.0 */
export interface InMemoryEventBusOptions {
  /** Where handler failures are reported (`error`, with `topic` and `error`). Default: dropped. */
  logger?: Logger;
}

class BusSubscription implements Subscription {
  readonly topic: string;
  readonly handler: EventHandler;
  active = true;

  constructor(topic: string, handler: EventHandler) {
    this.topic = topic;
    this.handler = handler;
  }
}

interface Delivery {
  readonly subscription: BusSubscription;
  readonly topic: string;
  readonly payload: unknown;
}

/**
 * In-process publish/subscribe.
 *
 * - `publish` never throws and never waits: it queues one delivery per
 *   current subscriber of the topic (and of {@link WILDCARD_TOPIC} `*`) and
 *   returns; handlers run later, in a macrotask (`setImmediate`), in publish
 *   order, and per publish in subscription order.
 * - At most once: each delivery is attempted once; nothing is persisted or
 *   retried; a subscription removed before its delivery runs gets nothing.
 * - A handler that throws or rejects does not affect the others; the failure
 *   goes to the logger (`error`) with the topic.
 * - {@link InMemoryEventBus.drain} resolves when every queued delivery has run
 *   and every promise a handler returned has settled (including deliveries
 *   published by handlers meanwhile).
 *
 * Topics are compared exactly; `*` is the only pattern. Publishing to `""`
 * or `*` delivers nothing and is reported to the logger instead of thrown.
 * @since 0.1.0
 */
export class InMemoryEventBus implements EventBus {
  readonly #logger: Logger;
  readonly #subscriptions = new Map<string, BusSubscription[]>();
  #queue: Delivery[] = [];
  #scheduled = false;
  #running = 0;
  #idle: (() => void)[] = [];

  constructor(options: InMemoryEventBusOptions = {}) {
    this.#logger = options.logger ?? NOOP_LOGGER;
  }

  /** Queue `payload` for every subscriber of `topic` and of `*`; returns at once. */
  publish(topic: string, payload: unknown): void {
    try {
      if (typeof topic !== 'string' || topic === '' || topic === WILDCARD_TOPIC) {
        this.#logger.error(
          'event bus: publish ignored, the topic must be a non-empty string other than "*"',
          {
            topic: String(topic),
          },
        );
        return;
      }
      const targets = [
        ...(this.#subscriptions.get(topic) ?? []),
        ...(this.#subscriptions.get(WILDCARD_TOPIC) ?? []),
      ];
      for (const subscription of targets) this.#queue.push({ subscription, topic, payload });
      this.#schedule();
    } catch {
      // publish never throws, whatever the logger does.
    }
  }

  /** Call `handler` for every later publish on `topic` (`*`: every topic). */
  subscribe(topic: string, handler: EventHandler): Subscription {
    if (typeof topic !== 'string' || topic === '') {
      throw new ResourceError('subscribe: the topic must be a non-empty string', {
        resource: 'event_bus',
        hint: `pass a topic name, or "${WILDCARD_TOPIC}" for every topic`,
      });
    }
    if (typeof handler !== 'function') {
      throw new ResourceError(`subscribe("${topic}"): the handler must be a function`, {
        resource: 'event_bus',
        hint: 'pass (payload, topic) => { ... }',
      });
    }
    const subscription = new BusSubscription(topic, handler);
    const list = this.#subscriptions.get(topic);
    if (list === undefined) this.#subscriptions.set(topic, [subscription]);
    else list.push(subscription);
    return subscription;
  }

  /** Stop deliveries to `subscription`, queued ones included. Unknown or repeated calls are no-ops. */
  unsubscribe(subscription: Subscription): void {
    if (!(subscription instanceof BusSubscription) || !subscription.active) return;
    subscription.active = false;
    const list = this.#subscriptions.get(subscription.topic);
    if (list === undefined) return;
    const rest = list.filter((s) => s !== subscription);
    if (rest.length === 0) this.#subscriptions.delete(subscription.topic);
    else this.#subscriptions.set(subscription.topic, rest);
  }

  /** Number of active subscriptions to `topic` exactly, or to any topic when omitted. */
  subscriberCount(topic?: string): number {
    if (topic !== undefined) return this.#subscriptions.get(topic)?.length ?? 0;
    let n = 0;
    for (const list of this.#subscriptions.values()) n += list.length;
    return n;
  }

  /** Resolve once every queued delivery has run and every handler promise has settled. */
  drain(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  #isIdle(): boolean {
    return this.#queue.length === 0 && this.#running === 0 && !this.#scheduled;
  }

  #schedule(): void {
    if (this.#scheduled || this.#queue.length === 0) return;
    this.#scheduled = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    for (const delivery of batch) this.#deliver(delivery);
    this.#settle();
  }

  #deliver({ subscription, topic, payload }: Delivery): void {
    if (!subscription.active) return;
    let result: unknown;
    try {
      result = subscription.handler(payload, topic);
    } catch (error) {
      this.#report(topic, subscription, error);
      return;
    }
    if (isThenable(result)) {
      this.#running++;
      Promise.resolve(result).then(
        () => this.#done(),
        (error: unknown) => {
          this.#report(topic, subscription, error);
          this.#done();
        },
      );
    }
  }

  #done(): void {
    this.#running--;
    this.#settle();
  }

  #settle(): void {
    if (!this.#isIdle()) return;
    const waiters = this.#idle;
    this.#idle = [];
    for (const resolve of waiters) resolve();
  }

  #report(topic: string, subscription: BusSubscription, error: unknown): void {
    try {
      this.#logger.error('event bus: handler failed', {
        topic,
        subscription: subscription.topic,
        error,
      });
    } catch {
      // A failing logger must not break delivery to the other handlers.
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
