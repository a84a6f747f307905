//! Test helpers shared by the core's unit tests.

use crate::access::Actor;
use crate::ids::UserId;
use crate::kinds::Role;

pub fn depts(d: &[&str]) -> Vec<String> {
    d.iter().map(|s| (*s).to_owned()).collect()
}

/// A staff member for a test: id, roles and departments.
pub struct Who {
    pub id: UserId,
    pub roles: Vec<Role>,
    pub depts: Vec<String>,
}

impl Who {
    pub fn new(roles: &[Role], d: &[&str]) -> Self {
        Self {
            id: UserId::new(),
            roles: roles.to_vec(),
            depts: depts(d),
        }
    }

    pub fn actor(&self) -> Actor<'_> {
        Actor {
            id: self.id,
            roles: &self.roles,
            departments: &self.depts,
        }
    }
}
