// The collector for each object type, chosen by its strategy in the type table.
import type { ObjectType } from '../../domain.ts';
import { TYPE_SPECS } from '../type-specs.ts';
import { authMethodsCollector } from './auth-methods-collector.ts';
import type { Collector } from './collector.ts';
import { deltaCollector } from './delta-collector.ts';
import { listingCollector } from './listing-collector.ts';
import { signInsCollector } from './sign-ins-collector.ts';

export function collectorFor(type: ObjectType): Collector {
  const spec = TYPE_SPECS[type];
  switch (spec.strategy) {
    case 'delta':
      return deltaCollector(spec);
    case 'listing':
      return listingCollector(spec);
    case 'watermark':
      return signInsCollector(spec);
    case 'perUser':
      return authMethodsCollector;
  }
}
