// The dashboard's sections, by the first part of the location's hash (#/tasks, #/tasks/<id>...).

import { deliveriesSection } from "./deliveries.js";
import { journalSection } from "./journal.js";
import { rulesSection } from "./rules.js";
import { taskSection, tasksSection } from "./tasks.js";

/** ``#/tasks`` lists the tasks; ``#/tasks/<id>`` is one task's page. */
const tasks = {
  mount(main, id, context) {
    return (id ? taskSection : tasksSection).mount(main, id, context);
  },
};

export const sections = {
  tasks,
  deliveries: deliveriesSection,
  journal: journalSection,
  rules: rulesSection,
};
