// Long-lived broker components started after the topic table loads (e.g. the group coordinator).
// Keep this a plain array so additions merge easily.
import { groupCoordinatorModule } from "./group/driver/coordinator.js";
import { logMaintenanceModule } from "./log/log-maintenance.js";
import { adminHttpModule } from "./metrics/admin-server.js";
import type { BrokerModule } from "./services.js";

export const MODULES: readonly BrokerModule[] = [
  logMaintenanceModule as BrokerModule,
  groupCoordinatorModule as BrokerModule,
  adminHttpModule as BrokerModule,
];
